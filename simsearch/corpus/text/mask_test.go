package text

import (
	"slices"
	"testing"
)

func TestMaskVariables(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		// nginx access log
		{`192.168.1.10 - - [10/Oct/2023:13:55:36 -0700] "GET /api/v1/users/12345?page=2 HTTP/1.1" 200 2326 "-" "Mozilla/5.0 (X11; Linux x86_64)"`,
			`<ip> - - [<ts>] "GET <path>?page=<num> HTTP/<num>" <num> <num> "-" "Mozilla/<num> (X11; Linux x86_64)"`},
		// nginx error log
		{`2023/10/10 13:55:36 [error] 1234#1234: *5678 open() "/usr/share/nginx/html/favicon.ico" failed (2: No such file or directory), client: 10.0.0.5, server: example.com`,
			`<ts> [error] <num>#<num>: *<num> open() "<path>" failed (<num>: No such file or directory), client: <ip>, server: example.com`},
		// syslog
		{`Jan 15 10:22:01 web01 sshd[4242]: Accepted publickey for deploy from 203.0.113.7 port 52344 ssh2`,
			`<ts> web01 sshd[<num>]: Accepted publickey for deploy from <ip> port <num> ssh2`},
		{`Oct  3 09:05:17 db02 kernel: [123456.789012] EXT4-fs (sda1): mounted filesystem with ordered data mode`,
			`<ts> db02 kernel: [<num>] EXT4-fs (sda1): mounted filesystem with ordered data mode`},
		// Java: logback, log4j, a stack frame, an exception
		{`2024-01-15T10:22:01.123Z INFO  [main] c.e.app.Server - Started in 3.456 seconds (JVM running for 4.2)`,
			`<ts> INFO  [main] c.e.app.Server - Started in <num> seconds (JVM running for <num>)`},
		{`2024-01-15 10:22:01,123 ERROR [http-nio-8080-exec-3] o.a.c.c.C.[.[.[/].[dispatcherServlet] - Servlet.service() threw exception`,
			`<ts> ERROR [http-nio-<num>-exec-<num>] o.a.c.c.C.[.[.[/].[dispatcherServlet] - Servlet.service() threw exception`},
		{"\tat com.example.service.UserService.findById(UserService.java:42)",
			"\tat com.example.service.UserService.findById(UserService.java:<num>)"},
		{`java.lang.IllegalStateException: Connection pool exhausted (max=50, active=50, idle=0) for pool@7a81197d`,
			`java.lang.IllegalStateException: Connection pool exhausted (max=<num>, active=<num>, idle=<num>) for pool@<hex>`},
		// Kubernetes (klog)
		{`I0115 10:22:01.123456       1 controller.go:123] Reconciling pod default/nginx-deployment-66b6c48dd5-4xjqv`,
			`I<ts>       <num> controller.go:<num>] Reconciling pod default/nginx-deployment-<hex>-<num>xjqv`},
		{`E0115 10:22:05.000001       7 reflector.go:138] k8s.io/client-go/tools/cache/reflector.go:167: Failed to watch *v1.Pod: unauthorized`,
			`E<ts>       <num> reflector.go:<num>] <path>:<num>: Failed to watch *v1.Pod: unauthorized`},
		// ids, addresses, hex, paths, URLs
		{`request 3f2a1b9c-7d4e-4f6a-9b8c-0123456789ab completed in 12ms with status=200`,
			`request <uuid> completed in <num>ms with status=<num>`},
		{`connecting to [2001:db8::1]:8443 from fe80::1ff:fe23:4567:890a%eth0 failed: timeout after 30s`,
			`connecting to <ip> from <ip>%eth0 failed: timeout after <num>s`},
		{`panic: runtime error: index out of range [5] with length 3 at 0x7ffe5a3c`,
			`panic: runtime error: index out of range [<num>] with length <num> at <hex>`},
		{`Mon Jan 15 10:22:01 2024 worker[17]: wrote 1048576 bytes to ./data/out-17.bin (1.5e3 rec/s)`,
			`<ts> worker[<num>]: wrote <num> bytes to <path> (<num> rec/s)`},
		{`GET http://10.1.2.3:9200/_cluster/health returned 503 after 2 retries, see ~/logs/es.log`,
			`GET http:<path> returned <num> after <num> retries, see <path>`},
		{`backup of /data/2024-01-15/db.dump to s3 done: 3/4 parts, read/write ok, ::ffff:10.0.0.1 notified`,
			`backup of <path> to s3 done: <num>/<num> parts, read/write ok, <ip> notified`},
		{`std::vector<int>::iterator deadbeef facade 123456 a1b2c3 sha256 utf8`,
			`std::vector<int>::iterator deadbeef facade <num> <hex> sha256 utf8`},
		{"", ""},
		{"no variables here", "no variables here"},
	} {
		if got := MaskVariables(tc.in); got != tc.want {
			t.Errorf("MaskVariables(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

func TestMaskSameTemplate(t *testing.T) {
	for _, pair := range [][2]string{
		{`Jan 15 10:22:01 web01 sshd[4242]: Accepted publickey for deploy from 203.0.113.7 port 52344 ssh2`,
			`Feb  3 23:59:59 web01 sshd[17]: Accepted publickey for deploy from 10.20.30.40 port 22 ssh2`},
		{`10.0.0.1 - - [10/Oct/2023:13:55:36 -0700] "GET /index.html HTTP/1.1" 200 612`,
			`172.16.5.4 - - [11/Nov/2024:01:02:03 +0000] "GET /static/app.js HTTP/1.1" 404 0`},
		{`2024-01-15T10:22:01Z job 3f2a1b9c-7d4e-4f6a-9b8c-0123456789ab took 1.25s`,
			`2025-12-31T23:59:59.999+01:00 job 00000000-0000-0000-0000-000000000000 took 300s`},
		{`I0115 10:22:01.123456 1 kubelet.go:2103] SyncLoop (PLEG): pod 7d9f8b6c5d ready after 12 tries`,
			`I1231 23:00:00.000001 42 kubelet.go:2103] SyncLoop (PLEG): pod 0a1b2c3d4e ready after 3 tries`},
	} {
		a, b := MaskVariables(pair[0]), MaskVariables(pair[1])
		if a != b {
			t.Errorf("one template, two masks:\n%q\n%q", a, b)
		}
	}
	// Different templates stay apart.
	if MaskVariables("user 1 logged in") == MaskVariables("user 1 logged out") {
		t.Error("different templates mask alike")
	}
}

func TestTokenize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"  \t ", nil},
		{"Hello, World!", []string{"hello", ",", "world", "!"}},
		{"Don't PANIC: 42 errors at <ts>!", []string{"don", "t", "panic", "42", "errors", "at", "<ts>", "!"}},
		{"<NUM>ms <ip>:<num> <nope> a<b", []string{"<num>", "ms", "<ip>", "<num>", "nope", "a", "b"}},
		{"Wait... what?", []string{"wait", ".", ".", ".", "what", "?"}},
		{"naïve café 日本語 user42 snake_case x-y", []string{"naïve", "café", "日本語", "user42", "snake", "case", "x", "y"}},
		{"e\u0301tude", []string{"e\u0301tude"}},
		{"bad\xffbyte", []string{"bad", "byte"}},
		{"<path> <uuid> <hex>", []string{"<path>", "<uuid>", "<hex>"}},
	} {
		if got := Tokenize(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("Tokenize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

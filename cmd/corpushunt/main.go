// Command corpushunt hunts through unlabeled corpora by similarity: encode a corpus,
// index the vectors with FAISS, search by example.
//
//	corpushunt datasets info                       what data is where
//	corpushunt index --dataset cifar10 --encoder pixels --out idx/pixels
//	corpushunt tune  --index idx/pixels            pick nprobe for a target recall
//	corpushunt query --index idx/pixels --item 42 -k 10
//	corpushunt eval  --index idx/pixels --queries cifar10:test
//
// Run `corpushunt help` for every command.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"github.com/corpushunt/corpushunt/simsearch"
)

type command struct {
	summary string
	run     func(ctx context.Context, args []string) error
}

var commands = map[string]command{}

func register(name, summary string, run func(ctx context.Context, args []string) error) {
	commands[name] = command{summary, run}
}

// errUsage marks errors that already printed their usage.
var errUsage = errors.New("usage")

func usage(w io.Writer) {
	fmt.Fprintln(w, "corpushunt: similarity search over unlabeled corpora (encoder → vectors → FAISS → search by example)")
	fmt.Fprintln(w, "\nUsage: corpushunt <command> [flags]   (corpushunt <command> -h for its flags)\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-18s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nData is found via --data, $CORPUSHUNT_DATA, ../shared/datasets, ./data, or ~/.cache/corpushunt/datasets.")
}

func main() {
	simsearch.Warn = func(err error) { note("note: %v", err) }
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:]))
}

func run(ctx context.Context, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(os.Stdout)
		return 0
	}
	name := args[0]
	// Two-word commands: "datasets info".
	if len(args) > 1 {
		if _, ok := commands[name+" "+args[1]]; ok {
			name, args = name+" "+args[1], args[1:]
		}
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "corpushunt: unknown command %q\n\n", name)
		usage(os.Stderr)
		return 2
	}
	if err := cmd.run(ctx, args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if errors.Is(err, errUsage) {
			return 2
		}
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(os.Stderr, "corpushunt: interrupted")
			return 130
		}
		fmt.Fprintf(os.Stderr, "corpushunt %s: %v\n", name, err)
		return 1
	}
	return 0
}

// newFlags returns a FlagSet whose errors are returned, with a one-line description.
func newFlags(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: corpushunt %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags, turning flag errors into errUsage (the flag package printed them).
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected arguments: %v\n", fs.Args())
		fs.Usage()
		return errUsage
	}
	return nil
}

// required reports missing required flags.
func required(fs *flag.FlagSet, names ...string) error {
	for _, n := range names {
		if f := fs.Lookup(n); f != nil && f.Value.String() == "" {
			fmt.Fprintf(fs.Output(), "--%s is required\n", n)
			fs.Usage()
			return errUsage
		}
	}
	return nil
}

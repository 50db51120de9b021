package cifar10

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// Official archive and its published MD5.
const (
	OfficialURL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
	OfficialMD5 = "c32a1d4ab5d03f1284b67883e8d87530"
)

// ErrChecksum is returned when a download does not match its expected checksum.
var ErrChecksum = errors.New("checksum mismatch")

// Downloader fetches and unpacks the binary archive. The zero value is not usable; see
// NewDownloader for the defaults.
type Downloader struct {
	URL      string       // archive address (default OfficialURL)
	MD5      string       // expected hex MD5 of the archive (default OfficialMD5)
	Client   *http.Client // default http.DefaultClient
	Progress func(done, total int64)
}

// NewDownloader returns a Downloader for the official archive.
func NewDownloader() *Downloader {
	return &Downloader{URL: OfficialURL, MD5: OfficialMD5, Client: http.DefaultClient}
}

// Download fetches the archive, verifies its checksum and unpacks the
// cifar-10-batches-bin/ folder under root, atomically: the folder appears complete or not
// at all. It returns the folder's path.
func (d *Downloader) Download(ctx context.Context, root string) (string, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("cifar10 download: %w", err)
	}
	final := filepath.Join(root, "cifar-10-batches-bin")
	if looksLikeCIFAR(final) {
		return final, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.URL, nil)
	if err != nil {
		return "", fmt.Errorf("cifar10 download: %w", err)
	}
	client := d.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("cifar10 download %s: %w", d.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("cifar10 download %s: HTTP %s", d.URL, resp.Status)
	}
	tmp, err := os.CreateTemp(root, ".cifar-10-binary-*.tar.gz")
	if err != nil {
		return "", fmt.Errorf("cifar10 download: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := md5.New()
	var body io.Reader = resp.Body
	if d.Progress != nil {
		body = &progressReader{r: resp.Body, total: resp.ContentLength, fn: d.Progress}
	}
	if _, err := io.Copy(io.MultiWriter(tmp, h), body); err != nil {
		return "", fmt.Errorf("cifar10 download %s: %w", d.URL, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); d.MD5 != "" && got != d.MD5 {
		return "", fmt.Errorf("cifar10 download %s: %w: md5 %s, want %s", d.URL, ErrChecksum, got, d.MD5)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	stage, err := os.MkdirTemp(root, ".cifar-unpack-*")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(stage)
	if err := untarGz(tmp, stage); err != nil {
		return "", fmt.Errorf("cifar10 download: unpack %s: %w", d.URL, err)
	}
	got := filepath.Join(stage, "cifar-10-batches-bin")
	if !looksLikeCIFAR(got) {
		return "", fmt.Errorf("cifar10 download: archive from %s has no cifar-10-batches-bin/data_batch_1.bin", d.URL)
	}
	if err := os.Rename(got, final); err != nil {
		return "", fmt.Errorf("cifar10 download: %w", err)
	}
	return final, nil
}

func untarGz(r io.Reader, dst string) error {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return err
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(h.Name)
		if filepath.IsAbs(name) || strings.HasPrefix(name, "..") {
			return fmt.Errorf("unsafe path %q in archive", h.Name)
		}
		p := filepath.Join(dst, name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
			if err != nil {
				return err
			}
			if _, err := io.Copy(f, tr); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
		}
	}
}

type progressReader struct {
	r     io.Reader
	done  int64
	total int64
	fn    func(done, total int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	p.fn(p.done, p.total)
	return n, err
}

package display

import (
	"fmt"
	"html"
	"os"
	"path/filepath"
	"strings"
)

// Page assembles a self-contained HTML document (images as data URIs, the chart library
// inline): open it offline, mail it, attach it to a ticket.
type Page struct {
	Title    string
	body     strings.Builder
	hasChart bool
}

// Heading adds a section heading.
func (p *Page) Heading(text string) *Page {
	fmt.Fprintf(&p.body, "<h2>%s</h2>\n", html.EscapeString(text))
	return p
}

// Paragraph adds escaped text.
func (p *Page) Paragraph(text string) *Page {
	fmt.Fprintf(&p.body, "<p>%s</p>\n", html.EscapeString(text))
	return p
}

// Table adds a table of escaped cells.
func (p *Page) Table(header []string, rows [][]string) *Page {
	p.body.WriteString(`<table class="t"><tr>`)
	for _, h := range header {
		fmt.Fprintf(&p.body, "<th>%s</th>", html.EscapeString(h))
	}
	p.body.WriteString("</tr>\n")
	for _, r := range rows {
		p.body.WriteString("<tr>")
		for _, c := range r {
			fmt.Fprintf(&p.body, "<td>%s</td>", html.EscapeString(c))
		}
		p.body.WriteString("</tr>\n")
	}
	p.body.WriteString("</table>\n")
	return p
}

// Chart adds a chart.
func (p *Page) Chart(c Chart) *Page {
	s := c.RenderSnippet()
	p.hasChart = true
	p.body.WriteString(s.Element)
	p.body.WriteString(s.Script)
	p.body.WriteString("\n")
	return p
}

// Add adds anything with an HTML form (a Gallery, a ReviewList, an HTMLFragment).
func (p *Page) Add(x interface{ HTML() string }) *Page {
	p.body.WriteString(x.HTML())
	p.body.WriteString("\n")
	return p
}

// HTML returns the whole document.
func (p *Page) HTML() string {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">")
	fmt.Fprintf(&b, "<title>%s</title>", html.EscapeString(p.Title))
	b.WriteString(`<style>body{font-family:sans-serif;max-width:1100px;margin:24px auto;color:#222}` +
		`table.t{border-collapse:collapse;margin:8px 0}table.t td,table.t th{border:1px solid #ccc;padding:3px 8px;text-align:right}</style>`)
	if p.hasChart {
		b.WriteString(`<script type="text/javascript">(function(define){`)
		b.WriteString(echartsJS)
		b.WriteString("\n})(undefined);</script>")
	}
	fmt.Fprintf(&b, "</head><body><h1>%s</h1>\n", html.EscapeString(p.Title))
	b.WriteString(p.body.String())
	b.WriteString("</body></html>\n")
	return b.String()
}

// WriteFile writes the document atomically.
func (p *Page) WriteFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return writeAtomic(path, []byte(p.HTML()))
}

// writeAtomic writes data to a temporary file beside path and renames it into place, so
// readers never see a half-written file.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

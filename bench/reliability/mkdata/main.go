// Command mkdata writes the small corpora bench/reliability/hostile.sh attacks: a
// labelled folder of grayscale PNGs, a text file, a CSV, and bad inputs of each kind.
package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: mkdata DIR")
		os.Exit(2)
	}
	root := os.Args[1]
	r := rand.New(rand.NewPCG(1, 1))
	write := func(p string, b []byte) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			panic(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			panic(err)
		}
	}
	pngOf := func(level uint8) []byte {
		img := image.NewGray(image.Rect(0, 0, 16, 16))
		for i := range img.Pix {
			img.Pix[i] = level + uint8(r.IntN(40))
		}
		var b bytes.Buffer
		png.Encode(&b, img)
		return b.Bytes()
	}
	for i := range 150 {
		write(filepath.Join(root, "shapes", "dark", fmt.Sprintf("%03d.png", i)), pngOf(20))
		write(filepath.Join(root, "shapes", "light", fmt.Sprintf("%03d.png", i)), pngOf(180))
	}
	for i := range 5 {
		write(filepath.Join(root, "bad-images", fmt.Sprintf("ok%d.png", i)), pngOf(100))
	}
	write(filepath.Join(root, "bad-images", "broken.png"), []byte("\x89PNG\r\n\x1a\nnot really"))
	// A PNG whose header declares 20000×20000 pixels and holds nothing else.
	var h bytes.Buffer
	h.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 20000)
	binary.BigEndian.PutUint32(ihdr[4:], 20000)
	ihdr[8], ihdr[9] = 8, 2
	chunk := append([]byte("IHDR"), ihdr...)
	binary.Write(&h, binary.BigEndian, uint32(13))
	h.Write(chunk)
	binary.Write(&h, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	write(filepath.Join(root, "huge.png"), h.Bytes())

	words := strings.Fields("the printer vpn disk is jammed down full again on floor server slow login failed user")
	var lines strings.Builder
	for range 600 {
		for j := range 4 + r.IntN(6) {
			if j > 0 {
				lines.WriteByte(' ')
			}
			lines.WriteString(words[r.IntN(len(words))])
		}
		lines.WriteByte('\n')
	}
	write(filepath.Join(root, "lines.txt"), []byte(lines.String()))
	write(filepath.Join(root, "bad-utf8.txt"), []byte("fine line\nbad \xff\xfe line\n"))
	write(filepath.Join(root, "ragged.csv"), []byte("1,2,3\n4,5,6\n7,8\n"))
	write(filepath.Join(root, "nan.csv"), []byte("1,2,3\n4,NaN,6\n"))
	write(filepath.Join(root, "tickets.csv"), []byte("id,body,team\n1,printer jammed,facilities\n2,vpn down,it\n"))
}

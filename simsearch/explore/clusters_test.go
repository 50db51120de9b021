package explore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/corpushunt/corpushunt/simsearch/index"
)

// Three well-separated blobs come back as three clusters, each pure in its label.
func TestClustersFindsBlobs(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const d, per = 8, 200
	var v []float32
	var items []index.Item
	for c := range 3 {
		for i := range per {
			for j := range d {
				centre := float32(0)
				if j == c {
					centre = 10
				}
				v = append(v, centre+float32(r.NormFloat64()))
			}
			items = append(items, index.Item{Ref: fmt.Sprintf("%d-%d", c, i), Label: fmt.Sprintf("blob%d", c)})
		}
	}
	ix, err := index.Build(context.Background(), index.Config{Dim: d}, v, items, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	cl, err := Clusters(context.Background(), ix, 3, ClusterOptions{Typical: 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(cl) != 3 {
		t.Fatalf("%d clusters", len(cl))
	}
	for _, c := range cl {
		if c.Size != per || len(c.Labels) != 1 || len(c.Typical) != 4 || len(c.Members) != per {
			t.Errorf("cluster %d: size %d labels %v typical %d", c.ID, c.Size, c.Labels, len(c.Typical))
		}
	}
	if _, err := Clusters(context.Background(), ix, 0, ClusterOptions{}); err == nil {
		t.Error("k = 0 accepted")
	}
}

// Two blobs apart along one axis land apart along the map's first axis.
func TestProject2DSeparatesBlobs(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const d = 6
	var v []float32
	for i := range 400 {
		for j := range d {
			x := float32(r.NormFloat64())
			if j == 2 && i >= 200 {
				x += 20
			}
			v = append(v, x)
		}
	}
	ix, err := index.Build(context.Background(), index.Config{Dim: d}, v, make([]index.Item, 400), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	p, err := Project2D(context.Background(), ix, 100)
	if err != nil {
		t.Fatal(err)
	}
	var a, b float32
	for i := range 200 {
		a += p[i][0] / 200
		b += p[200+i][0] / 200
	}
	if diff := a - b; diff < 15 && diff > -15 {
		t.Errorf("blob means on the first axis %.2f and %.2f: not apart", a, b)
	}
}

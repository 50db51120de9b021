package weaviate

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/go-openapi/strfmt"
	wv "github.com/weaviate/weaviate-go-client/v5/weaviate"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/graphql"
	"github.com/weaviate/weaviate/entities/models"

	"github.com/corpushunt/corpushunt/simsearch/tags"
)

func init() {
	tags.RegisterJournal(Scheme, func(addr string) (tags.Journal, error) {
		o, err := ParseURL(addr)
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		c, err := connect(ctx, o)
		if err != nil {
			return nil, err
		}
		if _, err := readManifest(ctx, c, o); err != nil {
			return nil, err
		}
		return &journal{o: o, c: c}, nil
	})
}

// TagClass is the class holding a collection's tag marks, one object per mark in order.
func TagClass(collection string) string { return collection + "_CorpushuntTags" }

// journal keeps a collection's tags (package tags) as objects of TagClass.
type journal struct {
	o Options
	c *wv.Client
}

func (j *journal) Load() ([]tags.Mark, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cls := TagClass(j.o.Collection)
	ok, err := j.c.Schema().ClassExistenceChecker().WithClassName(cls).Do(ctx)
	if err != nil {
		return nil, describe(err, "schema of "+cls)
	}
	if !ok {
		return nil, nil
	}
	type seqMark struct {
		seq int64
		m   tags.Mark
	}
	var all []seqMark
	err = scan(ctx, j.c, cls, j.o.Read, 5000, nil, []string{"seq", "mark"}, func(r graphql.SearchResult) error {
		raw, _ := r.Properties["mark"].(string)
		var m tags.Mark
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			return fmt.Errorf("weaviate %s object %s: not a tag mark: %v", cls, r.ID, err)
		}
		all = append(all, seqMark{toInt(r.Properties["seq"]), m})
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(all, func(a, b int) bool { return all[a].seq < all[b].seq })
	out := make([]tags.Mark, len(all))
	for i, sm := range all {
		out[i] = sm.m
	}
	return out, nil
}

func (j *journal) Append(marks []tags.Mark) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cls := TagClass(j.o.Collection)
	if err := ensureClass(ctx, j.c, cls, []*models.Property{{Name: "seq", DataType: []string{"int"}}, textProp("mark", false)}); err != nil {
		return err
	}
	// Sequence numbers from the clock, one per mark: marks of one Append stay together
	// and in order.
	base := time.Now().UnixNano()
	s := &Store{o: j.o, c: j.c}
	objs := make([]*models.Object, len(marks))
	for i, m := range marks {
		b, _ := json.Marshal(m)
		seq := base + int64(i)
		objs[i] = &models.Object{Class: cls, ID: strfmt.UUID(metaUUID(j.o.Collection, "tag/"+strconv.FormatInt(seq, 10))),
			Properties: map[string]any{"seq": seq, "mark": string(b)}}
	}
	return s.write(ctx, objs)
}

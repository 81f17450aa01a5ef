package safetensors

import (
	"errors"
	"slices"
	"testing"
)

func TestPlanShards(t *testing.T) {
	mk := func(name string, n int) TensorInfo { return TensorInfo{Name: name, Dtype: U8, Shape: []int{n}} }
	ts := []TensorInfo{mk("a", 4), mk("b", 4), mk("big", 20), mk("c", 3), mk("d", 6), mk("e", 1)}
	tests := []struct {
		max  int64
		want [][]string
	}{
		{0, [][]string{{"a", "b", "big", "c", "d", "e"}}},
		{100, [][]string{{"a", "b", "big", "c", "d", "e"}}},
		{8, [][]string{{"a", "b"}, {"big"}, {"c"}, {"d", "e"}}},
		{10, [][]string{{"a", "b"}, {"big"}, {"c", "d", "e"}}},
	}
	for _, tc := range tests {
		shards := PlanShards(ts, tc.max)
		var got [][]string
		for i, s := range shards {
			var names []string
			for _, t := range s.Tensors {
				names = append(names, t.Name)
			}
			got = append(got, names)
			if want := ShardName("model", ".safetensors", i, len(shards)); s.Name != want {
				t.Errorf("max %d: shard %d named %q, want %q", tc.max, i, s.Name, want)
			}
		}
		if !slices.EqualFunc(got, tc.want, slices.Equal) {
			t.Errorf("max %d: %v, want %v", tc.max, got, tc.want)
		}
	}
	if got := ShardName("model", ".safetensors", 1, 3); got != "model-00002-of-00003.safetensors" {
		t.Errorf("ShardName = %q", got)
	}
}

func TestIndexRoundTrip(t *testing.T) {
	shards := PlanShards([]TensorInfo{{Name: "a", Dtype: F32, Shape: []int{4}}, {Name: "b", Dtype: BF16, Shape: []int{3}}}, 8)
	data, err := IndexFor(shards).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "metadata": {
    "total_size": 22
  },
  "weight_map": {
    "a": "model-00001-of-00002.safetensors",
    "b": "model-00002-of-00002.safetensors"
  }
}
`
	if string(data) != want {
		t.Errorf("index:\n%s\nwant:\n%s", data, want)
	}
	ix, err := ParseIndex(data)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ix.Files(), []string{"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"}) {
		t.Errorf("Files() = %v", ix.Files())
	}
	for _, bad := range []string{`{`, `{"weight_map":{}}`, `{"weight_map":{"a":"../x.safetensors"}}`, `{"weight_map":{"a":"/etc/passwd"}}`} {
		if _, err := ParseIndex([]byte(bad)); !errors.Is(err, ErrFormat) {
			t.Errorf("ParseIndex(%s): err = %v", bad, err)
		}
	}
}

package transplant

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/omp"
	"github.com/transplant-dev/transplant/recipe"
)

// recipeModels writes a base (GPT-2's tokenizer) and a donor on Mistral's:
// thousands of new tokens, so that shards hold several units.
func recipeModels(t *testing.T) (base, donor string) {
	dir := t.TempDir()
	base = tinyModel{tokenizer: "gpt2", hidden: 4}.write(t, filepath.Join(dir, "base"))
	donor = tinyModel{tokenizer: "mistral-7b-v0.1", hidden: 6}.write(t, filepath.Join(dir, "donor"))
	return base, donor
}

func saveRecipeT(t *testing.T, s *Session, b *Built, path string) {
	t.Helper()
	r, err := s.Recipe(b, "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := recipe.WriteFile(path, r); err != nil {
		t.Fatal(err)
	}
}

// For every method: a recipe applied to the checkpoint it was made from
// writes the weights the direct run wrote; applied to a fine-tune (same
// vocabulary and shapes, other weights) it writes what a direct run on the
// fine-tune writes, hybrid without a donor included (its map is made
// again); and a solve split into shards and merged is the whole recipe
// byte for byte.
func TestRecipeApplyAndShards(t *testing.T) {
	base, donor := recipeModels(t)
	tuned := tinyModel{tokenizer: "gpt2", hidden: 4, seed: 9}.write(t, filepath.Join(t.TempDir(), "tuned"))
	ctx := context.Background()
	s, err := Open(ctx, Inputs{Base: base, Donor: donor})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if len(s.targets) < 2*recipe.ShardUnit {
		t.Fatalf("%d targets: too few for shards of %d", len(s.targets), recipe.ShardUnit)
	}
	for _, m := range []heuristics.Method{
		heuristics.Zero{}, heuristics.Mean{}, heuristics.Randn{Scale: 0.5}, heuristics.Subword{Input: heuristics.CombineLast},
		heuristics.KNN{K: 3, Temperature: 0.1}, heuristics.DefaultHybrid(), omp.Method{Options: omp.Options{K: 4}},
		hybridNoDonor{heuristics.DefaultHybrid()},
	} {
		t.Run(m.Name(), func(t *testing.T) {
			dir := t.TempDir()
			c := Choice{Input: m, Output: heuristics.Mean{}}
			in := Inputs{Base: base, Donor: donor}
			if h, ok := m.(hybridNoDonor); ok {
				c.Input, in = h.Hybrid, Inputs{Base: base, Tokenizer: donor}
			}
			whole := filepath.Join(dir, "whole.recipe")
			for _, b := range []string{base, tuned} {
				in.Base = b
				name := filepath.Base(b)
				direct := runAndSave(t, in, c, filepath.Join(dir, "direct-"+name), whole)
				applied := applyRecipe(t, b, whole, filepath.Join(dir, "applied-"+name))
				for _, f := range []string{"model.safetensors", "config.json", "tokenizer.json", "generation_config.json"} {
					x, _ := os.ReadFile(filepath.Join(direct, f))
					y, _ := os.ReadFile(filepath.Join(applied, f))
					if len(x) == 0 || !bytes.Equal(x, y) {
						t.Errorf("%s: %s differs between the direct run and the applied recipe", name, f)
					}
				}
			}
			b, err := s.Build(ctx, c, BuildOptions{Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			saveRecipeT(t, s, b, whole)
			var parts []*recipe.Recipe
			for i := range 3 {
				pb, err := s.Build(ctx, c, BuildOptions{Seed: 3, Shard: i, Shards: 3})
				if err != nil {
					t.Fatal(err)
				}
				path := filepath.Join(dir, "part")
				saveRecipeT(t, s, pb, path)
				part, err := recipe.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				parts = append(parts, part)
			}
			merged, err := recipe.Merge(parts)
			if err != nil {
				t.Fatal(err)
			}
			mergedPath := filepath.Join(dir, "merged.recipe")
			if err := recipe.WriteFile(mergedPath, merged); err != nil {
				t.Fatal(err)
			}
			x, _ := os.ReadFile(whole)
			y, _ := os.ReadFile(mergedPath)
			if !bytes.Equal(x, y) {
				t.Error("the merged shards differ from the whole recipe")
			}
		})
	}
}

// hybridNoDonor runs hybrid on a session without a donor.
type hybridNoDonor struct{ heuristics.Hybrid }

func (hybridNoDonor) Name() string { return "hybrid-without-donor" }

// runAndSave runs in with c into out (seed 3), saving the recipe of the
// base given first to recipePath; it returns out.
func runAndSave(t *testing.T, in Inputs, c Choice, out, recipePath string) string {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b, err := s.Build(ctx, c, BuildOptions{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(recipePath); err != nil {
		saveRecipeT(t, s, b, recipePath)
	}
	if _, err := s.Write(ctx, out, b, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	return out
}

// applyRecipe applies the recipe to base into out and returns out.
func applyRecipe(t *testing.T, base, recipePath, out string) string {
	t.Helper()
	ctx := context.Background()
	a, err := Open(ctx, Inputs{Base: base, Recipe: recipePath})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	rb, err := a.RecipeBuilt(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Write(ctx, out, rb, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	return out
}

// apply refuses a checkpoint with another vocabulary or other widths, and
// a lone shard; a shard cannot be written as a model.
func TestRecipeRefusals(t *testing.T) {
	base, donor := recipeModels(t)
	dir := t.TempDir()
	ctx := context.Background()
	s, err := Open(ctx, Inputs{Base: base, Tokenizer: donor})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b, err := s.Build(ctx, Choice{Input: heuristics.Mean{}}, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "r.recipe")
	saveRecipeT(t, s, b, path)
	shard, err := s.Build(ctx, Choice{Input: heuristics.Mean{}}, BuildOptions{Shard: 1, Shards: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(ctx, filepath.Join(dir, "x"), shard, WriteOptions{}); !errors.Is(err, ErrShard) {
		t.Errorf("writing a shard: %v", err)
	}
	if _, err := s.Build(ctx, Choice{Input: heuristics.Mean{}}, BuildOptions{Shard: 2, Shards: 2}); !errors.Is(err, ErrShard) {
		t.Errorf("shard 2 of 2: %v", err)
	}
	shardPath := filepath.Join(dir, "shard.recipe")
	saveRecipeT(t, s, shard, shardPath)
	wide := tinyModel{tokenizer: "gpt2", hidden: 8}.write(t, filepath.Join(dir, "wide"))
	for _, tc := range []struct {
		name string
		in   Inputs
	}{
		{"another vocabulary", Inputs{Base: donor, Recipe: path}},
		{"other widths", Inputs{Base: wide, Recipe: path}},
		{"a shard", Inputs{Base: base, Recipe: shardPath}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Open(ctx, tc.in)
			if err == nil {
				_, err = a.RecipeBuilt(ctx, nil)
				a.Close()
			}
			if !errors.Is(err, recipe.ErrMismatch) {
				t.Errorf("got %v, want recipe.ErrMismatch", err)
			}
		})
	}
}

// A blend's parameters name both methods, so that a recipe can make its
// map again.
func TestBlendParamsRoundTrip(t *testing.T) {
	p := DefaultMethodParams()
	p.Combine, p.BlendWeight = heuristics.CombineLast, 0.25
	m, err := NewMethod("blend", p)
	if err != nil {
		t.Fatal(err)
	}
	params, err := paramsOf(m)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeMethod("blend", params)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, m) {
		t.Errorf("decoded %+v from %s, want %+v", back, params, m)
	}
}

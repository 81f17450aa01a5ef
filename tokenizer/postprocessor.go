package tokenizer

import (
	"encoding/json"
	"strings"
)

// A postProcessor adds the special tokens around an encoded sequence when
// Encode is asked for them (addSpecialTokens).
type postProcessor interface {
	process(ids []int) []int
	// specialIDs lists the ids it adds, for Specials.
	specialIDs() []int
}

func newPostProcessor(raw json.RawMessage, path string) (postProcessor, error) {
	o, typ, err := component(raw, path, "post-processor", nil)
	if err != nil {
		return nil, err
	}
	switch typ {
	case "ByteLevel":
		return noopProcessor{}, nil // it only adjusts offsets
	case "BertProcessing", "RobertaProcessing":
		cls, err := tokenAndID(o, "cls")
		if err != nil {
			return nil, err
		}
		sep, err := tokenAndID(o, "sep")
		return template{before: []int{cls}, after: []int{sep}}, err
	case "TemplateProcessing":
		return newTemplate(o)
	case "Sequence":
		seq, err := list(o, "processors", newPostProcessor)
		return processorSequence(seq), err
	}
	return nil, unsupportedErr(o.at("type"), "post-processor type %q", typ)
}

// tokenAndID reads a ["token", id] pair.
func tokenAndID(o object, key string) (int, error) {
	var pair []json.RawMessage
	var tok string
	var id int
	if err := o.decode(key, &pair, `["token", id]`); err != nil {
		return 0, err
	}
	if len(pair) != 2 || json.Unmarshal(pair[0], &tok) != nil || json.Unmarshal(pair[1], &id) != nil || id < 0 {
		return 0, formatErr(o.at(key), `want ["token", id]`)
	}
	return id, nil
}

type noopProcessor struct{}

func (noopProcessor) process(ids []int) []int { return ids }
func (noopProcessor) specialIDs() []int       { return nil }

type processorSequence []postProcessor

func (seq processorSequence) process(ids []int) []int {
	for _, p := range seq {
		ids = p.process(ids)
	}
	return ids
}

func (seq processorSequence) specialIDs() []int {
	var out []int
	for _, p := range seq {
		out = append(out, p.specialIDs()...)
	}
	return out
}

// template puts fixed ids before and after the sequence.
type template struct {
	before, after []int
}

func (t template) process(ids []int) []int {
	out := make([]int, 0, len(t.before)+len(ids)+len(t.after))
	out = append(out, t.before...)
	out = append(out, ids...)
	return append(out, t.after...)
}

func (t template) specialIDs() []int {
	return append(append([]int(nil), t.before...), t.after...)
}

// newTemplate reads the single-sequence template of a TemplateProcessing:
// special-token pieces before and after the one "$A" piece.
func newTemplate(o object) (postProcessor, error) {
	specials := map[string][]int{}
	if !o.null("special_tokens") {
		st, err := o.child("special_tokens")
		if err != nil {
			return nil, err
		}
		for name := range st.m {
			so, err := st.child(name)
			if err != nil {
				return nil, err
			}
			var ids []int
			if err := so.decode("ids", &ids, "a list of ids"); err != nil {
				return nil, err
			}
			specials[name] = ids
		}
	}
	pieces, err := templatePieces(o, "single")
	if err != nil {
		return nil, err
	}
	var t template
	seenA := false
	for i, p := range pieces {
		at := indexPath(o.at("single"), i)
		switch {
		case p == "$A":
			if seenA {
				return nil, unsupportedErr(at, "template uses the sequence twice")
			}
			seenA = true
		case strings.HasPrefix(p, "$"):
			return nil, unsupportedErr(at, "template piece %q in a single-sequence template", p)
		default:
			ids, ok := specials[p]
			if !ok {
				return nil, formatErr(at, "template names special token %q, which special_tokens does not define", p)
			}
			if seenA {
				t.after = append(t.after, ids...)
			} else {
				t.before = append(t.before, ids...)
			}
		}
	}
	if !seenA {
		return nil, formatErr(o.at("single"), "template without the sequence $A")
	}
	return t, nil
}

// templatePieces reads a template as a list of pieces, each either
// {"SpecialToken": {"id": name}} / {"Sequence": {"id": "A"}} or a string
// such as "[CLS]", "$A" or "$A:0" (type ids do not matter here). The
// sequence piece comes back as "$A".
func templatePieces(o object, key string) ([]string, error) {
	var items []json.RawMessage
	var whole string
	if json.Unmarshal(o.m[key], &whole) == nil {
		for _, f := range strings.Fields(whole) {
			b, _ := json.Marshal(f)
			items = append(items, b)
		}
	} else if err := o.decode(key, &items, "a template list"); err != nil {
		return nil, err
	}
	out := make([]string, len(items))
	for i, item := range items {
		at := indexPath(o.at(key), i)
		var s string
		if json.Unmarshal(item, &s) == nil {
			s, _, _ = strings.Cut(s, ":")
			if s == "$" || s == "$0" || s == "$A" {
				s = "$A"
			}
			out[i] = s
			continue
		}
		var obj struct {
			SpecialToken *struct{ ID string } `json:"SpecialToken"`
			Sequence     *struct{ ID string } `json:"Sequence"`
		}
		if err := json.Unmarshal(item, &obj); err != nil {
			return nil, formatErr(at, "want a template piece, have %s", describeJSON(item))
		}
		switch {
		case obj.SpecialToken != nil:
			out[i] = obj.SpecialToken.ID
		case obj.Sequence != nil && obj.Sequence.ID == "A":
			out[i] = "$A"
		case obj.Sequence != nil:
			out[i] = "$" + obj.Sequence.ID
		default:
			return nil, formatErr(at, "want {\"SpecialToken\": ...} or {\"Sequence\": ...}")
		}
	}
	return out, nil
}

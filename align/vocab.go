package align

// Role names what a special token is for.
type Role string

// The roles that config.json and generation_config.json carry ids for.
const (
	BOS Role = "bos"
	EOS Role = "eos"
	PAD Role = "pad"
	UNK Role = "unk"
)

// Roles lists the roles in the order reports show them.
var Roles = []Role{BOS, EOS, PAD, UNK}

// A Token is one id of a vocabulary as alignment sees it.
type Token struct {
	// Spelling is the token as the vocabulary writes it ("Ġhello", "▁hello",
	// "<0x0A>", "##ing").
	Spelling string
	// Bytes is what the token stands for in text.
	Bytes []byte
	// Special tokens (control tokens such as "<s>" or "<|im_start|>") are
	// matched by role or spelling, never by bytes.
	Special bool
	// ByteFallback marks SentencePiece's "<0xNN>" tokens.
	ByteFallback bool
	// WordInitial marks, in vocabularies that mark word-internal pieces
	// (WordPiece "##"), a piece that starts a word. Such a piece stands for
	// its bytes after a space in the space-prefix convention of BPE and
	// SentencePiece vocabularies.
	WordInitial bool
	// Unused marks an id with no token (a hole in the id space).
	Unused bool
}

// A Vocab is a tokenizer's id space as alignment sees it.
type Vocab struct {
	// Tokens is indexed by id; len(Tokens) is the size of the id space.
	Tokens []Token
	// Roles gives the id of each special role the tokenizer defines.
	Roles map[Role]int
}

// key is the byte string a token is matched on: its bytes, with a space in
// front of word-initial pieces, so that both conventions meet.
func (t *Token) key() string {
	if t.WordInitial {
		return " " + string(t.Bytes)
	}
	return string(t.Bytes)
}

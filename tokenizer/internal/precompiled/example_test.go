package precompiled_test

import (
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log"
	"os"

	"github.com/transplant-dev/transplant/tokenizer/internal/precompiled"
)

func Example() {
	// A tokenizer.json normalizer object, as found in t5-small's file.
	f, err := os.Open("testdata/t5-small.normalizer.json.gz")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		log.Fatal(err)
	}
	var spec struct {
		Charsmap string `json:"precompiled_charsmap"`
	}
	if err := json.NewDecoder(z).Decode(&spec); err != nil {
		log.Fatal(err)
	}
	blob, err := base64.StdEncoding.DecodeString(spec.Charsmap)
	if err != nil {
		log.Fatal(err)
	}

	n, err := precompiled.Parse(blob)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%q\n", n.Normalize("Ｔｈｅ ﬁrst\u00a0½ cup™"))
	fmt.Printf("%q\n", n.Normalize("line\r\nbreak"))
	// Output:
	// "The first 1⁄2 cupTM"
	// "line break"
}

func ExampleParse() {
	_, err := precompiled.Parse([]byte{8, 0, 0, 0, 1, 2, 3, 4})
	fmt.Println(err)
	// Output:
	// precompiled: malformed charsmap: trie size 8 exceeds the 4 bytes that follow it
}

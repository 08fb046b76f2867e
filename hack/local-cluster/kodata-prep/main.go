// Command kodata-prep copies the Knative operator's kodata directory (the
// release manifests that the operator installs, shipped inside the
// knative.dev/operator Go module under cmd/operator/kodata) and changes the
// copy in two ways, for the local test cluster only:
//
//  1. It drops every MutatingWebhookConfiguration and
//     ValidatingWebhookConfiguration.
//  2. It sets spec.conversion of every CustomResourceDefinition to
//     {strategy: None} (Knative ships some CRDs with a conversion webhook).
//
// Why: on the local cluster every Knative pod is a kwok fake that runs no
// code, so the webhooks' backing services never answer. Left in place, the
// API server would call them on every create/update of the objects they
// cover, those calls would fail and block the operator (and the webhooks'
// failurePolicy is Fail), and the API server would try to reach fake pod or
// service addresses that do not exist on this machine. Without them the API
// server never calls out, and the operator reconciles the rest unchanged:
// Deployments, HPAs, ConfigMaps, RBAC, CRDs, status and the
// spec.high-availability transform are all the real operator's work.
//
// The operator reads the copy because it is started with KO_DATA_PATH
// pointing at it. The module's own files are never modified.
//
// Usage: kodata-prep -src <module>/cmd/operator/kodata -dst <dir>
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"
)

var dropKinds = map[string]bool{
	"MutatingWebhookConfiguration":   true,
	"ValidatingWebhookConfiguration": true,
}

// splitDocs splits a multi-document YAML stream on "---" separator lines.
func splitDocs(data []byte) [][]byte {
	var docs [][]byte
	var cur bytes.Buffer
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		trimmed := bytes.TrimRight(line, " \t\r\n")
		if bytes.Equal(trimmed, []byte("---")) || bytes.HasPrefix(trimmed, []byte("--- ")) {
			docs = append(docs, append([]byte(nil), cur.Bytes()...))
			cur.Reset()
			continue
		}
		cur.Write(line)
	}
	docs = append(docs, cur.Bytes())
	return docs
}

type stats struct{ dropped, converted, files int }

func transform(data []byte, st *stats, file string) ([]byte, error) {
	var out bytes.Buffer
	for _, doc := range splitDocs(data) {
		var obj map[string]any
		if err := yaml.Unmarshal(doc, &obj); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if len(obj) == 0 {
			continue // comment-only or empty document
		}
		kind, _ := obj["kind"].(string)
		if dropKinds[kind] {
			st.dropped++
			continue
		}
		if kind == "CustomResourceDefinition" {
			if spec, ok := obj["spec"].(map[string]any); ok {
				if conv, ok := spec["conversion"].(map[string]any); ok && conv["strategy"] != "None" {
					spec["conversion"] = map[string]any{"strategy": "None"}
					st.converted++
				}
			}
		}
		b, err := yaml.Marshal(obj)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		out.WriteString("---\n")
		out.Write(b)
	}
	return out.Bytes(), nil
}

func main() {
	src := flag.String("src", "", "the module's cmd/operator/kodata directory")
	dst := flag.String("dst", "", "output directory (created; must not exist)")
	flag.Parse()
	log.SetPrefix("kodata-prep: ")
	log.SetFlags(0)
	if *src == "" || *dst == "" {
		log.Fatal("-src and -dst are required")
	}
	st := &stats{}
	err := filepath.WalkDir(*src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(*src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(*dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml") {
			data, err = transform(data, st, rel)
			if err != nil {
				return err
			}
			st.files++
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("%d manifest files: dropped %d webhook configurations, set %d CRD conversions to None", st.files, st.dropped, st.converted)
}

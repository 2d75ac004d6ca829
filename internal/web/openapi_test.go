package web

import (
	"encoding/json"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// openAPIMethods are the operation keys of an OpenAPI path item.
var openAPIMethods = map[string]bool{
	"get": true, "put": true, "post": true, "delete": true,
	"options": true, "head": true, "patch": true, "trace": true,
}

func loadOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.") {
		t.Fatalf("openapi = %q, want 3.x", v)
	}
	return doc
}

// documented reports whether a route belongs in the OpenAPI document.
func documented(rt route) bool {
	if rt.method == "" {
		return false // the API's catch-all answers 404 in the error format
	}
	switch rt.pattern {
	case "/healthz", "/readyz", "/metrics":
		return true
	}
	return strings.HasPrefix(rt.pattern, "/api/v1/")
}

// openAPIPath converts a ServeMux pattern to an OpenAPI path: "{$}" is
// dropped and "{name...}" becomes "{name}".
func openAPIPath(pattern string) string {
	p := strings.TrimSuffix(pattern, "{$}")
	return regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)\.\.\.\}`).ReplaceAllString(p, "{$1}")
}

// resolve follows a local "$ref" ("#/components/…") through the document.
func resolve(doc map[string]any, ref string) (any, bool) {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, false
	}
	var node any = doc
	for _, part := range strings.Split(rest, "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		m, ok := node.(map[string]any)
		if !ok {
			return nil, false
		}
		if node, ok = m[part]; !ok {
			return nil, false
		}
	}
	return node, true
}

// deref returns v, or what its "$ref" points to.
func deref(doc map[string]any, v any) map[string]any {
	m, _ := v.(map[string]any)
	if ref, ok := m["$ref"].(string); ok {
		r, _ := resolve(doc, ref)
		m, _ = r.(map[string]any)
	}
	return m
}

func TestOpenAPICoversRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	paths, ok := doc["paths"].(map[string]any)
	if !ok {
		t.Fatal("document has no paths")
	}

	// Every documented route is in the document, with the right security.
	registered := map[string]route{} // "method path"
	for _, rt := range (&Server{}).routeTable() {
		if !documented(rt) {
			continue
		}
		path, method := openAPIPath(rt.pattern), strings.ToLower(rt.method)
		registered[method+" "+path] = rt
		item, ok := paths[path].(map[string]any)
		if !ok {
			t.Errorf("route %s %s: path %s missing from openapi.json", rt.method, rt.pattern, path)
			continue
		}
		op, ok := item[method].(map[string]any)
		if !ok {
			t.Errorf("route %s %s: operation %s missing from openapi.json", rt.method, rt.pattern, method)
			continue
		}
		sec, hasSec := op["security"].([]any)
		switch {
		case rt.access == public && (!hasSec || len(sec) != 0):
			t.Errorf("%s %s is public: want \"security\": []", method, path)
		case rt.access != public && hasSec && len(sec) == 0:
			t.Errorf("%s %s needs sign-in but its security is empty", method, path)
		}
	}

	// Every operation in the document is a registered route and is complete.
	opIDs := map[string]string{}
	keys := make([]string, 0, len(paths))
	for p := range paths {
		keys = append(keys, p)
	}
	sort.Strings(keys)
	wildcard := regexp.MustCompile(`\{([^}]+)\}`)
	for _, path := range keys {
		item, ok := paths[path].(map[string]any)
		if !ok {
			t.Errorf("path %s is not an object", path)
			continue
		}
		var want []string
		for _, m := range wildcard.FindAllStringSubmatch(path, -1) {
			want = append(want, m[1])
		}
		itemParams, _ := item["parameters"].([]any)
		for method, v := range item {
			if !openAPIMethods[method] {
				continue
			}
			name := method + " " + path
			if _, ok := registered[name]; !ok {
				t.Errorf("openapi.json documents %s, which is not a registered route", name)
			}
			op, ok := v.(map[string]any)
			if !ok {
				t.Errorf("%s: operation is not an object", name)
				continue
			}
			id, _ := op["operationId"].(string)
			if id == "" {
				t.Errorf("%s: no operationId", name)
			} else if prev, dup := opIDs[id]; dup {
				t.Errorf("%s: operationId %q already used by %s", name, id, prev)
			} else {
				opIDs[id] = name
			}
			responses, _ := op["responses"].(map[string]any)
			ok2xx := false
			for code := range responses {
				if len(code) == 3 && code[0] == '2' {
					ok2xx = true
				}
			}
			if !ok2xx {
				t.Errorf("%s: no 2xx response", name)
			}
			// Path parameters: each {param} declared, nothing declared that is not in the path.
			declared := map[string]bool{}
			opParams, _ := op["parameters"].([]any)
			for _, p := range append(append([]any{}, itemParams...), opParams...) {
				pm := deref(doc, p)
				if pm == nil {
					t.Errorf("%s: unresolvable parameter %v", name, p)
					continue
				}
				if pm["in"] != "path" {
					continue
				}
				pn, _ := pm["name"].(string)
				declared[pn] = true
				if req, _ := pm["required"].(bool); !req {
					t.Errorf("%s: path parameter %q must be required", name, pn)
				}
				if !strings.Contains(path, "{"+pn+"}") {
					t.Errorf("%s: declares path parameter %q that is not in the path", name, pn)
				}
			}
			for _, w := range want {
				if !declared[w] {
					t.Errorf("%s: path parameter {%s} not declared", name, w)
				}
			}
		}
	}
}

func TestOpenAPIRefsResolve(t *testing.T) {
	doc := loadOpenAPI(t)
	n := 0
	var walk func(where string, v any)
	walk = func(where string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				n++
				if !strings.HasPrefix(ref, "#/components/") {
					t.Errorf("%s: $ref %q does not point into #/components/", where, ref)
				} else if _, ok := resolve(doc, ref); !ok {
					t.Errorf("%s: $ref %q does not resolve", where, ref)
				}
			}
			for k, e := range v {
				walk(where+"/"+k, e)
			}
		case []any:
			for _, e := range v {
				walk(where+"[]", e)
			}
		}
	}
	walk("#", doc)
	if n == 0 {
		t.Error("no $ref found: the document is suspiciously flat")
	}
}

// TestOpenAPIErrorCodes checks that the Error schema's code enum is exactly
// the set of codes the server maps to HTTP statuses.
func TestOpenAPIErrorCodes(t *testing.T) {
	doc := loadOpenAPI(t)
	node, ok := resolve(doc, "#/components/schemas/Error/properties/error/properties/code")
	if !ok {
		t.Fatal("no Error schema with error.code")
	}
	code := deref(doc, node)
	enum, _ := code["enum"].([]any)
	got := map[string]bool{}
	for _, e := range enum {
		s, _ := e.(string)
		got[s] = true
	}
	for c := range httpStatus {
		if !got[c] {
			t.Errorf("error code %q missing from the Error schema", c)
		}
		delete(got, c)
	}
	for c := range got {
		t.Errorf("Error schema lists code %q, which the server never answers", c)
	}
}

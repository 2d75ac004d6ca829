package web

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	"epiguard/internal/domain"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// maxJSONBody bounds request bodies of the JSON API.
const maxJSONBody = 1 << 20

// decodeJSON reads a JSON object into v, rejecting unknown fields so that
// a misspelt field is an error rather than silently ignored.
//
// The JSON content type is required: a browser cannot send it cross-site
// without a CORS preflight, which closes login CSRF through a plain form.
func decodeJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return fieldErr("Content-Type", "must be application/json")
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, maxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var v domain.Validation
		switch e := err.(type) {
		case *json.UnmarshalTypeError:
			v.Add(e.Field, "must be %s", jsonKind(e.Type))
		case *json.SyntaxError:
			v.Add("body", "malformed JSON at byte %d", e.Offset)
		default:
			// encoding/json reports an unknown field only in its message.
			if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
				v.Add(strings.Trim(name, `"`), "unknown field")
			} else if err == io.EOF {
				v.Add("body", "empty body: a JSON object is required")
			} else {
				v.Add("body", "%s", strings.TrimPrefix(err.Error(), "json: "))
			}
		}
		return v.Err()
	}
	return nil
}

// jsonKind names what a Go type accepts in JSON terms, so that an error
// says "must be a number" rather than "must be float64".
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}

// list is the shape of every list answer (SPEC §4.2).
type list[T any] struct {
	Items []T     `json:"items"`
	Next  *string `json:"next"`
	Total *int    `json:"total,omitempty"`
}

// limitOf reads the limit parameter: default 50, at most 1000.
func limitOf(q url.Values) (int, error) {
	s := q.Get("limit")
	if s == "" {
		return 50, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 1000 {
		return 0, fieldErr("limit", "must be an integer from 1 to 1000")
	}
	return n, nil
}

// offsetOf reads the offset parameter that the next links of pageOf set.
func offsetOf(q url.Values) (int, error) {
	s := q.Get("offset")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fieldErr("offset", "must be an integer of 0 or more")
	}
	return n, nil
}

// pageOf answers one page of a short list that the store reads whole (the
// units below a unit, the accounts of a scope), in the store's order: the
// limit parameter and an offset that next carries. An offset, not an id
// cursor, keeps the documented order (by code, by username); the lists are
// short and rarely change while someone pages through them.
func pageOf[T any](r *http.Request, all []T) (list[T], error) {
	q := r.URL.Query()
	limit, err := limitOf(q)
	if err != nil {
		return list[T]{}, err
	}
	offset, err := offsetOf(q)
	if err != nil {
		return list[T]{}, err
	}
	total := len(all)
	start := min(offset, total)
	end := min(start+limit, total)
	page := list[T]{Items: make([]T, 0, end-start), Total: &total}
	page.Items = append(page.Items, all[start:end]...)
	if end < total {
		page.Next = nextURL(r, "offset", int64(end))
	}
	return page, nil
}

// pageOfNewest answers one page of a list that the store reads newest
// first up to a count (an inbox, a delivery log): it reads offset+limit+1
// items and answers those after offset, with a next link when more remain.
func pageOfNewest[T any](r *http.Request, read func(n int) ([]T, error)) (list[T], error) {
	q := r.URL.Query()
	limit, err := limitOf(q)
	if err != nil {
		return list[T]{}, err
	}
	offset, err := offsetOf(q)
	if err != nil {
		return list[T]{}, err
	}
	got, err := read(offset + limit + 1)
	if err != nil {
		return list[T]{}, err
	}
	got = got[min(offset, len(got)):]
	page := list[T]{Items: make([]T, 0, min(limit, len(got)))}
	page.Items = append(page.Items, got[:min(limit, len(got))]...)
	if len(got) > limit {
		page.Next = nextURL(r, "offset", int64(offset+limit))
	}
	return page, nil
}

func fieldErr(field, format string, args ...any) error {
	var v domain.Validation
	v.Add(field, format, args...)
	return v.Err()
}

// pathID reads the {id} path value.
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, domain.Errorf(domain.ENotFound, "no such resource")
	}
	return id, nil
}

// queryID reads an optional positive integer query parameter.
func queryID(q url.Values, name string) (int64, error) {
	s := q.Get(name)
	if s == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, fieldErr(name, "must be a positive integer id")
	}
	return id, nil
}

// nextURL builds the URL of the following page with after=last.
func nextURL(r *http.Request, key string, last int64) *string {
	q := r.URL.Query()
	q.Set(key, strconv.FormatInt(last, 10))
	u := fmt.Sprintf("%s?%s", r.URL.Path, q.Encode())
	return &u
}

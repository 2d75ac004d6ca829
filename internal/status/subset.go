package status

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
)

// Rules are written in a subset of expr. A status rule tests facts; it
// never needs to build long strings, nested data or loops inside loops, and
// those are what let a 2000-character expression use unbounded memory or
// time (expr's memory budget does not count string concatenation, and a
// loop costs nothing to re-enter). Leaving them out bounds the work of an
// evaluation by the length of the expression and the size of the facts.

// allowedBuiltins are the functions a rule may call: numbers, strings,
// list tests and dates. Left out are now() (a status depends on its facts
// only), functions that build strings or data (repeat, replace, join,
// string, toJSON, fromJSON, toBase64, fromBase64, reduce, groupBy, …) and
// map helpers that facts have no use for.
var allowedBuiltins = []string{
	"len", "abs", "ceil", "floor", "round", "int", "float", "max", "min", "sum", "mean", "median",
	"trim", "trimPrefix", "trimSuffix", "upper", "lower", "split", "indexOf", "lastIndexOf", "hasPrefix", "hasSuffix",
	"all", "none", "any", "one", "filter", "map", "count", "find", "findIndex", "findLast", "findLastIndex",
	"first", "last", "get", "take", "uniq", "sort", "reverse", "concat", "flatten",
	"date", "duration",
}

// exprOptions type-check an expression against Facts and demand a bool.
// Builtins stay enabled for the parser (expr cannot disable its list
// functions); checkSubset refuses those not in allowedBuiltins, with a
// clearer message than "unknown name".
func exprOptions(optimize bool) []expr.Option {
	return []expr.Option{expr.Env(Facts{}), expr.AsBool(), expr.Optimize(optimize)}
}

// checkSubset returns what in a compiled program is outside the subset
// rules may use, as an error pointing at it, or nil.
func checkSubset(p *vm.Program) error {
	v := &subsetVisitor{}
	node := p.Node()
	ast.Walk(&node, v)
	if v.problem == "" {
		return nil
	}
	return (&file.Error{Location: v.at.Location(), Message: v.problem}).Bind(p.Source())
}

type subsetVisitor struct {
	problem string
	at      ast.Node
}

func (v *subsetVisitor) Visit(node *ast.Node) {
	if v.problem != "" {
		return
	}
	switch n := (*node).(type) {
	case *ast.BuiltinNode:
		if !slices.Contains(allowedBuiltins, n.Name) {
			v.problem, v.at = fmt.Sprintf("function %s is not allowed in status rules", n.Name), n
		}
	case *ast.VariableDeclaratorNode:
		v.problem, v.at = "let is not allowed in status rules", n
	case *ast.BinaryNode:
		switch {
		case n.Operator == "..":
			v.problem, v.at = "ranges (..) are not allowed in status rules", n
		case n.Operator == "+" && !(addable(n.Left) && addable(n.Right)):
			v.problem, v.at = "+ only adds numbers, dates and durations in status rules", n
		}
	case *ast.PredicateNode:
		inner := &nestedVisitor{}
		ast.Walk(&n.Node, inner)
		if inner.found != nil {
			v.problem, v.at = "a list function inside another one's {…} is not allowed in status rules", inner.found
		}
	}
}

// nestedVisitor finds a predicate inside a predicate's body.
type nestedVisitor struct{ found ast.Node }

func (v *nestedVisitor) Visit(node *ast.Node) {
	if _, ok := (*node).(*ast.PredicateNode); ok && v.found == nil {
		v.found = *node
	}
}

// addable reports whether the checker knows n to be a value + may take in
// a rule: a number, a time or a duration, not a string, list or unknown.
func addable(n ast.Node) bool {
	t := n.Type()
	if t == nil {
		return false
	}
	switch t.Kind() {
	case reflect.String, reflect.Slice, reflect.Array, reflect.Map, reflect.Interface, reflect.Pointer:
		return false
	}
	return true
}

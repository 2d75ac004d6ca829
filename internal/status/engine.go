package status

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"

	"epiguard/internal/domain"
)

// Limits of a rule set.
const (
	MaxRules         = 100
	MaxExpressionLen = 2000 // characters
	MaxMessageLen    = 500  // characters
	MaxSourceLen     = 200  // characters
)

var codePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// Engine evaluates a compiled rule set. It is safe for concurrent use.
type Engine struct {
	version int
	rules   []compiledRule
}

type compiledRule struct {
	code    string
	level   Level
	program *vm.Program
	zh, en  message
}

// Compile validates every rule of rs and returns an engine for it. A rule
// needs a unique code (lower-case letters, digits and underscores), the
// level yellow or red, an expression of at most MaxExpressionLen characters
// that compiles against Facts to true/false and runs on the sample facts,
// and messages in both languages whose placeholders name facts. A set holds
// at most MaxRules rules.
//
// Errors are a *domain.Error with code EInvalid and one FieldError per
// problem, the field named like "rules[3].when".
func Compile(rs RuleSet) (*Engine, error) {
	var v domain.Validation
	if len(rs.Rules) > MaxRules {
		v.Add("rules", "at most %d rules, got %d", MaxRules, len(rs.Rules))
		return nil, v.Err()
	}
	e := &Engine{version: rs.Version, rules: make([]compiledRule, 0, len(rs.Rules))}
	first := map[string]int{} // code → index of the rule that uses it first
	for i, r := range rs.Rules {
		field := func(name string) string { return fmt.Sprintf("rules[%d].%s", i, name) }
		c := compiledRule{code: r.Code, level: r.Level}

		switch j, dup := first[r.Code]; {
		case r.Code == "":
			v.Add(field("code"), "required")
		case !codePattern.MatchString(r.Code):
			v.Add(field("code"), "must be lower-case letters, digits and underscores, starting with a letter, at most 64 characters")
		case dup:
			v.Add(field("code"), "duplicate code %q (also rules[%d])", r.Code, j)
		default:
			first[r.Code] = i
		}

		if r.Level != Yellow && r.Level != Red {
			v.Add(field("level"), "must be yellow or red")
		}

		program, problem := compileWhen(r.When)
		if problem != "" {
			v.Add(field("when"), "%s", problem)
		}
		c.program = program

		for _, m := range []struct {
			name, text string
			out        *message
		}{
			{"message_zh", r.MessageZH, &c.zh},
			{"message_en", r.MessageEN, &c.en},
		} {
			switch {
			case strings.TrimSpace(m.text) == "":
				v.Add(field(m.name), "required")
			case utf8.RuneCountInString(m.text) > MaxMessageLen:
				v.Add(field(m.name), "at most %d characters", MaxMessageLen)
			default:
				msg, problems := parseMessage(m.text)
				for _, p := range problems {
					v.Add(field(m.name), "%s", p)
				}
				*m.out = msg
			}
		}

		if utf8.RuneCountInString(r.Source) > MaxSourceLen {
			v.Add(field("source"), "at most %d characters", MaxSourceLen)
		}
		e.rules = append(e.rules, c)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return e, nil
}

// compileWhen compiles a rule expression, or says what is wrong with it.
func compileWhen(when string) (program *vm.Program, problem string) {
	switch {
	case strings.TrimSpace(when) == "":
		return nil, "required"
	case utf8.RuneCountInString(when) > MaxExpressionLen:
		return nil, fmt.Sprintf("at most %d characters", MaxExpressionLen)
	}
	// expr is fuzzed upstream, but a panic on an admin's typo must not take
	// the server down (SPEC §7.2).
	defer func() {
		if r := recover(); r != nil {
			program, problem = nil, fmt.Sprintf("cannot be compiled: %v", r)
		}
	}()
	// Compiled twice: as written, to check, then optimised for running
	// (constant lists become sets, constant sub-expressions fold).
	checked, err := expr.Compile(when, exprOptions(false)...)
	if err != nil {
		return nil, exprError(err)
	}
	// AsBool lets through expressions of unknown type such as
	// first([true, 1]); a rule must be true or false by its types alone.
	if t := checked.Node().Type(); t == nil || t.Kind() != reflect.Bool {
		return nil, fmt.Sprintf("expected bool, but got %v", t)
	}
	if err := checkSubset(checked); err != nil {
		return nil, exprError(err)
	}
	program, err = expr.Compile(when, exprOptions(true)...)
	if err != nil {
		return nil, exprError(err)
	}
	m := &vm.VM{MemoryBudget: memoryBudget}
	for _, f := range sampleFacts {
		if _, err := m.Run(program, &f); err != nil {
			return nil, "fails on sample facts: " + exprError(err)
		}
	}
	return program, ""
}

// exprError gives expr's message with its line and column but without the
// multi-line source snippet, so that it fits a form's field message.
func exprError(err error) string {
	var fe *file.Error
	if errors.As(err, &fe) && fe.Line > 0 {
		return fmt.Sprintf("%s (%d:%d)", fe.Message, fe.Line, fe.Column)
	}
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return msg
}

// DefaultEngine returns the engine of DefaultRules.
func DefaultEngine() *Engine {
	e, err := Compile(DefaultRules())
	if err != nil {
		panic("status: default rules do not compile: " + err.Error())
	}
	return e
}

// Version returns the version of the compiled rule set.
func (e *Engine) Version() int { return e.version }

// memoryBudget caps what one evaluation may allocate, in expr's units
// (list elements, string bytes); expr's default is 1,000,000. No sensible
// status rule comes near it.
const memoryBudget = 10_000

// vms reuses expr's virtual machines, which keep their stacks between runs.
var vms = sync.Pool{New: func() any { return &vm.VM{MemoryBudget: memoryBudget} }}

// Evaluate returns the status of a person with facts f, its reasons in
// Chinese unless lang starts with "en" (e.g. "en", "en-GB"). The level is
// the worst level of the matched rules, green when none matched; reasons
// follow rule order. A rule that fails at run time counts as not matched;
// use EvaluateErr to learn about it.
func (e *Engine) Evaluate(f Facts, lang string) Result {
	r, _ := e.EvaluateErr(f, lang)
	return r
}

// EvaluateErr is Evaluate that also returns the run-time failures of rules,
// joined, so that the caller can log them. The Result is the same.
func (e *Engine) EvaluateErr(f Facts, lang string) (Result, error) {
	en := len(lang) >= 2 && strings.EqualFold(lang[:2], "en")
	res := Result{Level: Green, Reasons: []Reason{}}
	var errs []error
	m := vms.Get().(*vm.VM)
	defer vms.Put(m)
	for _, r := range e.rules {
		out, err := m.Run(r.program, &f)
		if err != nil {
			errs = append(errs, fmt.Errorf("status rule %s: %s", r.code, exprError(err)))
			continue
		}
		if matched, _ := out.(bool); !matched {
			continue
		}
		msg := r.zh
		if en {
			msg = r.en
		}
		res.Level = Worse(res.Level, r.level)
		res.Reasons = append(res.Reasons, Reason{Code: r.code, Message: msg.render(&f, en)})
	}
	return res, errors.Join(errs...)
}

// Package status computes a person's status — green, yellow or red — from
// rules kept as data (SPEC §5.6). Every status carries all the reasons that
// apply, in both Chinese and English.
//
// A rule is a boolean expression over Facts, the documented fact set that
// admins write rules against, with a level and a message in each language.
// Compile validates a whole rule set when it is saved and returns an Engine;
// Engine.Evaluate runs every rule against one person's facts whenever a
// relevant event happens (a check-in, a gate scan, a case, a contact, a
// quarantine, a test result). The package does no I/O: the caller gathers
// the facts and stores the result.
//
// # Why expr and not CEL
//
// Rule expressions are written in expr (github.com/expr-lang/expr) rather
// than Google's CEL:
//
//   - it is one small pure-Go module with no dependencies; cel-go brings
//     protobuf, genproto and ANTLR along;
//   - its syntax is close to Go and to what an admin already reads in a
//     spreadsheet formula: `"fever" in syndromes && temperature >= 38`;
//   - it type-checks an expression at compile time against a Go struct (here
//     Facts, field names from `expr` tags), so a misspelt fact, a comparison
//     of a string with a number or an expression that is not true/false is
//     refused when the rule is saved, not discovered on a pupil at the gate;
//   - precompiled programs evaluate in well under a microsecond each, so a
//     whole rule set costs a few microseconds per person and the status can
//     be recomputed on every event.
//
// # Safety of admin-written rules
//
// A rule only tests facts, so rules are written in a subset of expr (see
// subset.go): no let, no ranges, no list function inside another one's
// {…}, + only on numbers, dates and durations, and a fixed list of
// functions — without now(), so a status depends on its facts only, and
// without the functions that build strings or data (repeat, join, toJSON,
// reduce, …). Expressions are at most MaxExpressionLen characters, a rule
// set at most MaxRules rules, and one evaluation may allocate only a small
// memory budget. Together these bound the time and memory of an evaluation
// by the length of the expression and the size of the facts; without them a
// 2000-character expression can exhaust memory (expr does not count string
// concatenation against its budget) or loop for hours.
//
// Type checking cannot rule out every run-time failure (an index past the
// end of a list, a remainder by zero, int("x"), date("")). Compile
// therefore also runs each rule on two sample days — nothing known, and
// everything true — and refuses it if it fails there. A rule that still
// fails at run time counts as not matched: Evaluate leaves it out of the
// result and EvaluateErr reports it so that the caller can log it.
package status

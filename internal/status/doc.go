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
// Expressions cannot loop without bound, call Go code we did not register or
// read anything but the facts. The builtin now() is disabled so a status
// depends only on its facts (use the fact today). Expressions are limited to
// MaxExpressionLen characters and a rule set to MaxRules rules; expr itself
// limits the AST size and the memory one evaluation may allocate.
//
// Type checking cannot rule out every run-time failure (an index past the
// end of a list, a remainder by zero, int("x")). Compile therefore also runs
// each rule against an empty and a full sample of facts and refuses it if it
// fails there. A rule that still fails at run time counts as not matched:
// Evaluate leaves it out of the result and EvaluateErr reports it so the
// caller can log it.
package status

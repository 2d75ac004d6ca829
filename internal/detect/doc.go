// Package detect holds EpiGuard's statistical outbreak detectors (SPEC §5.5):
// the EARS methods C1, C2 and C3 and the approximate Poisson CUSUM, each
// giving the same numbers as the R package surveillance (earsC and
// algo.cusum, version 1.20.3), and, in policy.go, the default policy that
// raises real alerts.
//
// R's code is the definition, not its documentation. Where the two disagree
// the Go code follows the code and the comment at that place says so. The
// disagreements that matter most:
//
//   - earsC raises an alarm when the count is strictly above the upper
//     bound; the documentation says C(t) >= z.
//   - earsC's default alpha is 0.001 for C1 and C2 but 0.025 for C3.
//   - earsC applies minSigma in C3 too, not only in C1 and C2.
//   - earsC's C3 upper bound is count(t) + sd(t)·(z − lagged part), not the
//     documented mean + sd·(…), so the C3 alarm depends only on the two
//     previous days' C2 statistics and on whether today's count is above 0.
//   - algo.cusum's anscombe2nd upper bound uses m^(1/3)/9 where its
//     transformation uses m^(-1/3)/9.
//
// Every detector is causal: the upper bound and alarm of day t depend only
// on days 1..t. Where R refuses a series (shorter than the warm-up, or C3
// with a single monitored day) this package gives what R gives for that day
// of any longer series: nothing monitored, or the regular C3 value.
//
// The testdata directory holds R's own outputs (testdata/gen.R makes them)
// and the tests require agreement to 1e-9, identical alarms and identical
// monitored ranges.
package detect

// Package simstudy is the simulation study of SPEC §5.5: it simulates daily
// school and community series with injected outbreaks, runs the detectors of
// package detect over them and scores each method by sensitivity, false
// alarms and delay, on all outbreaks and on those the guidance makes
// reportable. BenchmarkSimulationStudy prints the tables:
//
//	go test ./internal/detect/simstudy -run XXX -bench SimulationStudy -benchtime 1x
//
// # Series
//
// A series is one unit × syndrome over the 2024/25 school year (2 September
// to 4 July, two terms). School series have a count on open school days
// only: weekends, the weekday public holidays and the winter break are
// removed, so a detector's window runs across breaks as EpiGuard's does.
// Community series have a count every day. The expected count of a day is
// the scenario mean times
//
//   - a weekday factor: Monday highest (school 1.25, community 1.30), easing
//     through the week; community weekends lower (0.80, 0.70);
//   - an annual cycle exp(0.25·cos(2π(day − 15 January)/365.25)), the winter
//     peak of respiratory syndromes;
//   - for school series, a spring-term level exp(N(0, 0.15²)) relative to
//     the autumn term: the level after the winter break is not the one
//     before it;
//
// rescaled so that the series average is exactly the scenario mean. Counts
// are Poisson, or negative binomial with variance φ·mean.
//
// # Outbreaks
//
// Outbreak sizes and shapes are those of Noufaily et al. (2013), "An
// improved algorithm for outbreak detection in multiple surveillance
// systems", Stat Med 32:1206–1222, chosen before any detector was tuned and
// not changed since:
//
//   - the number of outbreak cases is Poisson with mean k·sd, where sd =
//     sqrt(φ·μ) is the baseline standard deviation on the outbreak's first
//     day and k is drawn uniformly from 1..10; draws below 2 are redrawn,
//     since a cluster takes at least two linked cases;
//   - each case's day follows a lognormal(0, 0.5) epidemic curve. Noufaily
//     et al. work in weeks; here the curve's 95th percentile is stretched to
//     a nominal duration drawn uniformly from 1..10 open days (SPEC §5.5),
//     and the 5 % beyond it are redrawn.
//
// An outbreak runs from its first to its last case (its empty early tail is
// not part of it), never across more than 4 closed days in a row, and
// outbreaks of one series are 10 to 40 open days apart. The first 40 open
// days are outbreak-free: every method has a full baseline there and is
// scored from day 41 on.
//
// # Metrics
//
// For every method: sensitivity, the share of outbreaks with at least one
// alarm on their days; false alarms per 100 open non-outbreak days (scored,
// monitored days not between an outbreak's first and last day; alarm days
// are counted, and an alarm just after an outbreak is a false one); median
// delay, the open days from an outbreak's first day to its first alarm,
// over the detected outbreaks (0 = the same day). Each figure is also given
// by baseline mean, dispersion, kind of series, size multiplier k, nominal
// duration and scenario.
//
// # Reportable outbreaks
//
// A second scoring of the same runs answers "of the outbreaks a school must
// report, how many does each method catch?". An outbreak is reportable when
// its injected cases alone — never the baseline — meet the similar-symptoms
// rule of SPEC §5.2 for a class or dorm room (卫办疾控发〔2006〕65号): at
// least 3 injected cases on one open day, or at least 5 injected cases
// within 3 consecutive open days (a window of the series' days, so in a
// school series Friday, Monday and Tuesday are consecutive). The rule is
// applied to the outbreak's own days, first to last; outbreaks are at least
// 10 open days apart, so no window can reach into another one. The rule is
// the same for every series whatever unit it stands for: it asks whether an
// outbreak is large enough to be reportable by count, not what the scope's
// other rules (school-wide ILI clusters, say) would ask.
//
// On the reportable outbreaks each method is scored with the same alarms,
// detection and delay as on all outbreaks — a subset, not a new rule — and
// also by its delay from the first day the outbreak became reportable: the
// first day on which its injected cases met the rule (counting the window
// ending that day) to the first alarm on the outbreak's days, in open days.
// That delay is negative when the method alarmed before the outbreak was
// reportable. False alarms do not depend on which outbreaks are scored: the
// reportable table repeats the study-wide rate. Default's figures on the
// reportable outbreaks are also given by baseline mean.
//
// Every series has its own fixed seed: the study gives the same numbers on
// every run and machine.
package simstudy

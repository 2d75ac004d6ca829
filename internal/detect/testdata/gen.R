# Reference outputs of the R package 'surveillance' for internal/detect.
#
# Regenerate (Debian: apt-get install r-base-core r-cran-surveillance) from
# the repository root with:
#
#   Rscript internal/detect/testdata/gen.R > internal/detect/testdata/surveillance.csv
#
# One row per (case, day): the series name, the detector and its parameters
# (empty = not passed to R, so R's default applies), the 1-based day t, the
# count, and R's upper bound and alarm. ub and alarm are empty outside the
# monitored range; ub is NaN where R gives NA or NaN, alarm NA where R's
# alarm is NA.
suppressMessages(library(surveillance))

set.seed(20240902)
n <- 56
with_run <- function(x, from, to, value) { x[from:to] <- value; x }
series <- list(
  pois_low      = rpois(n, 0.5),
  pois_mid      = rpois(n, 5),
  pois_high     = rpois(n, 30),
  pois_large    = rpois(n, 1000),
  overdispersed = rnbinom(n, size = 0.8, mu = 4),
  zeros         = rep(0, n),
  const3        = rep(3, n),
  zero_run      = with_run(rpois(n, 2), 15, 30, 0),
  const_spike   = with_run(rep(3, n), 30, 31, c(10, 4)),
  spike         = rpois(n, 3) + c(rep(0, 35), 6, 10, 14, 9, rep(0, n - 39)),
  zeros_then    = c(rep(0, 14), rpois(n - 14, 1)),
  # not counts: rates with decimals, and counts too large for exact
  # running sums (b * max > 2^26), both on the direct-sum path in Go
  fractional    = round(rgamma(n, shape = 2, rate = 0.5), 3),
  huge          = rpois(n, 5e7),
  # a school week: five open days with counts, two closed days at zero
  weekly        = rpois(n, rep(c(4, 4, 4, 4, 4, 0, 0), length.out = n)),
  short5        = rpois(5, 3),
  len8          = rpois(8, 3),
  len12         = rpois(12, 3),
  len16         = rpois(16, 3)
)

fmt_ub <- function(v) ifelse(is.na(v), "NaN", sprintf("%.17g", v))
fmt_alarm <- function(a) ifelse(is.na(a), "NA", ifelse(a, "1", "0"))
p <- function(v) if (is.null(v)) "" else as.character(v)

# emit writes one case. ub and alarm cover days first..length(x); earlier
# days are outside the monitored range (first > length(x): none monitored).
emit <- function(name, method, pars, x, first, ub, alarm) {
  nx <- length(x)
  ubs <- rep("", nx)
  als <- rep("", nx)
  if (first <= nx) {
    idx <- first:nx
    ubs[idx] <- fmt_ub(ub)
    als[idx] <- fmt_alarm(alarm)
  }
  cat(sprintf("%s,%s,%s,%s,%s,%s,%s,%s,%s,%d,%s,%s,%s\n", name, method,
              p(pars$baseline), p(pars$alpha), p(pars$minSigma),
              p(pars$k), p(pars$h), p(pars$m), p(pars$trans),
              seq_len(nx), format(x, scientific = FALSE, trim = TRUE, digits = 15), ubs, als), sep = "")
}

ears <- function(name, x, method, pars) {
  b <- if (is.null(pars$baseline)) 7 else pars$baseline
  first <- b + switch(method, C1 = 1, C2 = 3, C3 = 5)
  ctl <- c(list(method = method), pars)
  nx <- length(x)
  if (first > nx) {
    # R stops ("wrong sign in 'by'" / "too short"): nothing is monitored.
    emit(name, tolower(method), pars, x, first, NULL, NULL)
    return()
  }
  y <- x
  if (method == "C3" && first == nx) {
    # earsC's C3 fails when the range has a single day (apply() over a
    # one-row matrix); the detector is causal, so run it on the series
    # extended by one day and keep the first nx days.
    y <- c(x, 0)
  }
  r <- earsC(sts(observed = y), control = ctl)
  k <- nx - first + 1
  emit(name, tolower(method), pars, x, first,
       as.vector(upperbound(r))[1:k], as.vector(alarms(r))[1:k])
}

# algo.cusum has no default range: the baseline column is the number of days
# before it (range = baseline+1 .. n, default 7 as in Go), and m = NULL makes
# R take m as the mean of those days. Its alpha column is algo.cusum's alpha,
# the negative binomial dispersion of pearsonNegBin.
cusum_case <- function(name, x, pars) {
  b <- if (is.null(pars$baseline)) 7 else pars$baseline
  first <- b + 1
  nx <- length(x)
  if (first > nx) {
    emit(name, "cusum", pars, x, first, NULL, NULL)
    return()
  }
  ctl <- pars
  ctl$baseline <- NULL
  ctl$range <- first:nx
  r <- algo.cusum(list(observed = matrix(x), state = matrix(0 * x)), control = ctl)
  emit(name, "cusum", pars, x, first, as.vector(r$upperbound), as.vector(r$alarm))
}

ears_pars <- list(
  list(),
  list(baseline = 3),
  list(baseline = 14),
  list(alpha = 0.05),
  list(alpha = 0.001),
  list(minSigma = 0.5),
  list(minSigma = 1),
  list(baseline = 14, alpha = 0.05, minSigma = 1)
)
cusum_pars <- list(
  list(),
  list(baseline = 1),
  list(baseline = 28),
  list(k = 0.5, h = 4),
  list(k = 0.25),
  list(m = 2.5),
  list(trans = "rossi"),
  list(trans = "anscombe"),
  list(trans = "anscombe2nd"),
  list(trans = "pearsonNegBin"),
  list(trans = "pearsonNegBin", alpha = 0.5),
  list(trans = "none", k = 2, h = 5)
)

cat("series,method,baseline,alpha,min_sigma,k,h,m,trans,t,count,ub,alarm\n")
for (name in names(series)) {
  x <- series[[name]]
  for (method in c("C1", "C2", "C3")) {
    for (pars in ears_pars) ears(name, x, method, pars)
  }
  for (pars in cusum_pars) cusum_case(name, x, pars)
}

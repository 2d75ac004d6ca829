package simstudy

import (
	"math"
	"math/rand/v2"
)

// poissonChunk bounds the mean handed to Knuth's method: exp(-30) is far from
// underflow and the loop stays short. Larger means are drawn as a sum of
// independent Poisson parts, which is exactly Poisson again.
const poissonChunk = 30.0

// poisson draws a Poisson variate with mean lambda (0 for lambda <= 0).
func poisson(r *rand.Rand, lambda float64) int {
	n := 0
	for lambda > poissonChunk {
		n += knuthPoisson(r, poissonChunk)
		lambda -= poissonChunk
	}
	if lambda > 0 {
		n += knuthPoisson(r, lambda)
	}
	return n
}

// knuthPoisson multiplies uniforms until the product drops below exp(-lambda).
func knuthPoisson(r *rand.Rand, lambda float64) int {
	limit := math.Exp(-lambda)
	k := 0
	p := r.Float64()
	for p > limit {
		k++
		p *= r.Float64()
	}
	return k
}

// gamma draws a Gamma(shape, 1) variate with the Marsaglia–Tsang method
// (ACM TOMS 26(3), 2000); shapes below 1 use the usual U^(1/shape) boost.
func gamma(r *rand.Rand, shape float64) float64 {
	if shape < 1 {
		u := r.Float64()
		for u == 0 {
			u = r.Float64()
		}
		return gamma(r, shape+1) * math.Pow(u, 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		if u < 1-0.0331*x*x*x*x {
			return d * v
		}
		if u > 0 && math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}

// countDraw draws a count with mean mu and variance phi·mu: Poisson when
// phi <= 1, otherwise the gamma–Poisson mixture (negative binomial with size
// mu/(phi-1)), the over-dispersed baseline of Noufaily et al. (2013).
func countDraw(r *rand.Rand, mu, phi float64) int {
	if mu <= 0 {
		return 0
	}
	if phi <= 1 {
		return poisson(r, mu)
	}
	size := mu / (phi - 1)
	return poisson(r, gamma(r, size)*(phi-1))
}

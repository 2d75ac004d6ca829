package simstudy

import (
	"os"
	"testing"
)

// BenchmarkSimulationStudy runs the study of SPEC §5.5 and prints its tables,
// on all outbreaks and on the reportable ones:
//
//	go test ./internal/detect/simstudy -run XXX -bench SimulationStudy -benchtime 1x
func BenchmarkSimulationStudy(b *testing.B) {
	st := DefaultStudy()
	methods := Methods()
	var res Result
	for b.Loop() {
		var err error
		if res, err = st.Run(methods); err != nil {
			b.Fatal(err)
		}
	}
	if err := res.WriteTable(os.Stdout); err != nil {
		b.Fatal(err)
	}
	for i, name := range res.Methods {
		if name != "default" {
			continue
		}
		t := res.Overall[i]
		b.ReportMetric(t.Sensitivity(), "default-sensitivity-%")
		b.ReportMetric(t.FalseAlarmRate(), "default-false-alarms/100days")
		b.ReportMetric(t.MedianDelay(), "default-median-delay-days")
		rt := res.Reportable[i]
		b.ReportMetric(rt.Sensitivity(), "default-reportable-sensitivity-%")
		b.ReportMetric(rt.MedianDelay(), "default-reportable-median-delay-days")
		b.ReportMetric(rt.MedianReportDelay(), "default-reportable-median-delay-from-reportable-days")
	}
}

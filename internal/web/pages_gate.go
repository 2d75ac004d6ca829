package web

// gateRoutes are the gate pages: lookup, scan, visitors, log.
func (s *Server) gateRoutes() []route {
	return nil
}

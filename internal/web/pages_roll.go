package web

// rollRoutes are the class teacher's pages: the roll and morning/noon
// check grid, the zero report, reminders and illness absences.
func (s *Server) rollRoutes() []route {
	return nil
}

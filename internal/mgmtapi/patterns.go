package mgmtapi

// RoutePatterns returns the route table's ServeMux patterns, "METHOD
// /path/{param}": the app labels request metrics with them (never with the
// path itself, which carries ids).
func (h *Handler) RoutePatterns() []string { return h.routeList() }

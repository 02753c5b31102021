package directory

// QueueDepth returns the entries and bytes queued and not yet written
// (the app exports them as metrics).
func (l *RequestLogger) QueueDepth() (entries int, bytes int64) {
	l.setup()
	return len(l.queue), l.queued.Load()
}

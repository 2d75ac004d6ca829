package web

import (
	"net/http"

	"epiguard/internal/store"
)

var _ = addMessages(map[string][2]string{
	"nav.inbox":      {"消息", "Inbox"},
	"inbox.title":    {"消息", "Inbox"},
	"inbox.none":     {"没有消息。", "No messages."},
	"inbox.markread": {"全部标为已读", "Mark all read"},
	"inbox.unread":   {"未读", "Unread"},
	"inbox.open":     {"查看", "Open"},
})

type inboxData struct {
	Items  []store.InboxItem
	Unread int
}

func (s *Server) pageInbox(w http.ResponseWriter, r *http.Request, rq *request) error {
	items, unread, err := s.db.Inbox(r.Context(), rq.acc.ID, 100)
	if err != nil {
		return err
	}
	for i := range items {
		items[i].CreatedAt = items[i].CreatedAt.In(s.loc)
	}
	return s.render(w, r, rq, http.StatusOK, "inbox", "inbox.title", inboxData{items, unread}, nil)
}

func (s *Server) pageInboxRead(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.db.MarkInboxRead(r.Context(), rq.acc.ID); err != nil {
		return err
	}
	return seeOther(w, r, "/inbox")
}

func (s *Server) apiInbox(w http.ResponseWriter, r *http.Request, rq *request) error {
	var unread int
	page, err := pageOfNewest(r, func(n int) ([]store.InboxItem, error) {
		items, u, err := s.db.Inbox(r.Context(), rq.acc.ID, n)
		unread = u
		return items, err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		list[store.InboxItem]
		Unread int `json:"unread"`
	}{page, unread})
	return nil
}

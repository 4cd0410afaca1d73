package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/presencekit/presencekit/spec"
)

// The typed operations. Each escapes its path segments, sends through Do
// (so auth and the 401 retry apply) and returns the typed answer with the
// raw exchange. A non-2xx status is an *APIError, a 2xx body that does not
// decode a *DecodeError; the *Response is returned in both cases. A nil
// users slice is sent as JSON null, an empty one as [].

// SetPresence sets user's status on one device resource (e.g. "android_1";
// status "0" offline, "1" online, anything else custom) with extension ext.
func (c *Client) SetPresence(ctx context.Context, user, resource, status, ext string, opts ...CallOption) (*AckResult, *Response, error) {
	path := "/users/" + url.PathEscape(user) + "/presence/" + url.PathEscape(resource) + "/" + url.PathEscape(status)
	body := struct {
		Ext string `json:"ext"`
	}{ext}
	return call[AckResult](ctx, c, spec.OpSetStatus, http.MethodPost, path, nil, body, nil, opts)
}

// Subscribe subscribes user to the presence of users for expiry seconds.
func (c *Client) Subscribe(ctx context.Context, user string, expiry int64, users []string, opts ...CallOption) (*SubscribeResult, *Response, error) {
	return c.SubscribeRaw(ctx, user, strconv.FormatInt(expiry, 10), users, opts...)
}

// SubscribeRaw is Subscribe with the expiry path segment given verbatim, so
// limit tests can send "abc", "0" or "1.5" and still get a typed answer.
func (c *Client) SubscribeRaw(ctx context.Context, user, expiry string, users []string, opts ...CallOption) (*SubscribeResult, *Response, error) {
	path := "/users/" + url.PathEscape(user) + "/presence/" + url.PathEscape(expiry)
	body := struct {
		Usernames []string `json:"usernames"`
	}{users}
	return call[SubscribeResult](ctx, c, spec.OpSubscribe, http.MethodPost, path, nil, body, nil, opts)
}

// GetPresence returns the current presence of users, asked as user.
func (c *Client) GetPresence(ctx context.Context, user string, users []string, opts ...CallOption) (*PresenceResult, *Response, error) {
	path := "/users/" + url.PathEscape(user) + "/presence"
	body := struct {
		Usernames []string `json:"usernames"`
	}{users}
	return call[PresenceResult](ctx, c, spec.OpGetStatus, http.MethodPost, path, nil, body, nil, opts)
}

// GroupOnlineCount returns how many members of groupID are connected. The
// document says to pass queryType 1; other integers exist for limit tests
// (non-integers need Do).
func (c *Client) GroupOnlineCount(ctx context.Context, groupID string, queryType int, opts ...CallOption) (*GroupOnlineResult, *Response, error) {
	path := "/presence/online/" + url.PathEscape(groupID) + "/type/" + strconv.Itoa(queryType)
	return call[GroupOnlineResult](ctx, c, spec.OpGroupOnline, http.MethodGet, path, nil, nil, nil, opts)
}

// Unsubscribe ends user's subscriptions to users, sending the body in form.
func (c *Client) Unsubscribe(ctx context.Context, user string, users []string, form UnsubscribeForm, opts ...CallOption) (*AckResult, *Response, error) {
	path := "/users/" + url.PathEscape(user) + "/presence"
	var body any
	switch form {
	case UnsubscribeObject:
		body = struct {
			Users []string `json:"users"`
		}{users}
	case UnsubscribeArray:
		body = users
	default:
		return nil, nil, fmt.Errorf("client: unsubscribePresence: unknown body form %d", form)
	}
	return call[AckResult](ctx, c, spec.OpUnsubscribe, http.MethodDelete, path, nil, body, nil, opts)
}

// ListSubscriptions returns one page of user's subscriptions. Empty fields
// of q are left out of the query; see SublistQuery.
func (c *Client) ListSubscriptions(ctx context.Context, user string, q SublistQuery, opts ...CallOption) (*SublistResult, *Response, error) {
	path := "/users/" + url.PathEscape(user) + "/presence/sublist"
	query := url.Values{}
	if q.PageNum != "" {
		query.Set("pageNum", q.PageNum)
	}
	if q.PageSize != "" {
		query.Set("pageSize", q.PageSize)
	}
	// The document lists Content-Type as required even on this GET.
	header := http.Header{"Content-Type": {"application/json"}}
	return call[SublistResult](ctx, c, spec.OpSublist, http.MethodGet, path, query, nil, header, opts)
}

// call encodes body (nil: no body), sends it and decodes a 2xx answer into T.
func call[T any](ctx context.Context, c *Client, op, method, path string, query url.Values, body any, header http.Header, opts []CallOption) (*T, *Response, error) {
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return nil, nil, fmt.Errorf("client: encode %s request: %w", op, err)
		}
	}
	resp, err := c.Do(ctx, method, path, query, raw, header, opts...)
	if err != nil {
		return nil, resp, err
	}
	if err := resp.Err(); err != nil {
		return nil, resp, err
	}
	var out T
	if err := json.Unmarshal(resp.Body, &out); err != nil {
		return nil, resp, &DecodeError{Op: op, Response: resp, Err: err}
	}
	return &out, resp, nil
}

package nacos

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

const opInitAdmin = "initialize the admin user"

// AdminResult is how Nacos answered a request to create its admin user.
type AdminResult string

const (
	// AdminCreated means the user "nacos" now exists with the given password.
	AdminCreated AdminResult = "Created"
	// AdminExisted means an admin existed already; Nacos changed nothing (the password given was
	// not applied).
	AdminExisted AdminResult = "AlreadyExisted"
)

// AdminUser is the only user Nacos's admin bootstrap creates.
const AdminUser = "nacos"

// InitAdmin creates Nacos's admin user "nacos" with password: POST .../auth/users/admin
// (2.4+) or .../auth/user/admin (3.x), which needs no credentials and works once, for whoever
// asks first. Nacos answers HTTP 200 either way, with code 409 "have admin user cannot use
// it." in the body when an admin exists (UserControllerV3.createAdminUser).
func (c *Client) InitAdmin(ctx context.Context, password string) (AdminResult, error) {
	var out AdminResult
	err := c.withMajor(ctx, func(major int) error {
		path := "/nacos/v1/auth/users/admin"
		if major >= 3 {
			path = "/nacos/v3/auth/user/admin"
		}
		r := request{op: opInitAdmin, method: http.MethodPost, path: path, form: url.Values{"password": {password}}}
		body, err := c.getOK(ctx, major, r)
		if err != nil {
			return err
		}
		var res struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal(body, &res); err != nil {
			return c.annotate(r, malformed(http.StatusOK, fmt.Errorf("admin answer: %w", err)))
		}
		switch res.Code {
		case 0, http.StatusOK:
			out = AdminCreated
		case http.StatusConflict:
			out = AdminExisted
		default:
			msg := redact(fmt.Sprintf("code %d: %s", res.Code, res.Message), []string{password})
			return c.annotate(r, &Error{Kind: KindUnexpectedStatus, StatusCode: http.StatusOK, Message: cleanMessage(msg)})
		}
		return nil
	})
	return out, err
}

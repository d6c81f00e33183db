package nacos

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParseReadinessRule(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		want   Readiness
		kind   ErrorKind
	}{
		{"2.x v1 ready", 200, "OK", Readiness{Ready: true}, ""},
		{"2.x v1 not ready", 500, "config and naming not in readiness", Readiness{Message: "config and naming not in readiness"}, ""},
		{"3.x 8848 ready", 200, `{"code":0,"message":"success","data":"ok"}`, Readiness{Ready: true}, ""},
		{"3.x 8848 not ready in a 200", 200, `{"code":30000,"message":"naming not in readiness","data":null}`, Readiness{Message: "naming not in readiness"}, ""},
		{"3.x 8080 not ready in a 500", 500, `{"code":30000,"message":"naming not in readiness","data":null}`, Readiness{Message: "naming not in readiness"}, ""},
		{"code decides over a 500", 500, `{"code":0,"message":"success","data":"ok"}`, Readiness{Ready: true}, ""},
		{"not ready without a message", 200, `{"code":30000,"message":null}`, Readiness{Message: "not ready (code 30000)"}, ""},
		{"empty 500", 500, "", Readiness{Message: "not ready (HTTP 500)"}, ""},
		{"spring 500", 500, `{"status":500,"error":"Internal Server Error","message":"","path":"/x"}`, Readiness{Message: "Internal Server Error"}, ""},
		{"text code", 200, `{"code":"0"}`, Readiness{}, KindMalformedBody},
		{"json without code in a 200", 200, `{"status":"UP"}`, Readiness{}, KindMalformedBody},
		{"403", 403, `{"status":403,"message":"user not found!"}`, Readiness{}, KindAuthRefused},
		{"401", 401, "", Readiness{}, KindAuthRefused},
		{"404", 404, "", Readiness{}, KindAPIGone},
		{"410", 410, "", Readiness{}, KindAPIGone},
		{"503", 503, "busy", Readiness{}, KindServerError},
		{"204", 204, "", Readiness{}, KindUnexpectedStatus},
		{"400", 400, "", Readiness{}, KindUnexpectedStatus},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseReadiness(tc.status, []byte(tc.body))
			if KindOf(err) != tc.kind || got != tc.want {
				t.Errorf("parseReadiness = %+v, %v; want %+v, kind %q", got, err, tc.want, tc.kind)
			}
		})
	}
}

func TestParseNamingStatusShapes(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		want   NamingStatus
		kind   ErrorKind
	}{
		{"v1 raw", 200, `{"status":"DOWN"}`, NamingStatus{Status: "DOWN"}, ""},
		{"v3 wrapped", 200, `{"code":0,"message":"success","data":{"status":"UP"}}`, NamingStatus{Status: "UP"}, ""},
		{"v3 refused in a 200", 200, `{"code":10001,"message":"access denied"}`, NamingStatus{}, KindUnexpectedStatus},
		{"status not a word", 200, `{"status":"up"}`, NamingStatus{}, KindMalformedBody},
		{"status a number", 200, `{"status":1}`, NamingStatus{}, KindMalformedBody},
		{"data not an object", 200, `{"code":0,"data":"UP"}`, NamingStatus{}, KindMalformedBody},
		{"write only", 503, "server is WRITE_ONLYnow, please try again later!", NamingStatus{Status: "WRITE_ONLY"}, ""},
		{"starting with detail", 503, "server is STARTINGnow, detailed error message: No leader for raft, please see logs.",
			NamingStatus{Status: "STARTING", Message: "No leader for raft, please see logs."}, ""},
		{"Optional with nothing", 503, "server is DOWNnow, detailed error message: Optional.empty", NamingStatus{Status: "DOWN"}, ""},
		{"not the filter's text", 503, "Service Unavailable", NamingStatus{}, KindServerError},
		{"no status word", 503, "server is now", NamingStatus{}, KindServerError},
		{"gone", 410, "", NamingStatus{}, KindAPIGone},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseNamingStatus(tc.status, []byte(tc.body))
			if KindOf(err) != tc.kind || got != tc.want {
				t.Errorf("parseNamingStatus = %+v, %v; want %+v, kind %q", got, err, tc.want, tc.kind)
			}
		})
	}
}

func TestParseMembersRejectsWrongShapes(t *testing.T) {
	cases := []struct {
		name, body, errPart string
	}{
		{"not json", `<html>`, "body is not JSON, want object"},
		{"no envelope", `[{"ip":"a"}]`, "want object"},
		{"no code", `{"data":[]}`, `no "code"`},
		{"data object", `{"code":200,"data":{}}`, "data is object"},
		{"data null", `{"code":200,"data":null}`, "data is null"},
		{"item not an object", `{"code":200,"data":["a:8848"]}`, "member 0: member is string"},
		{"no address nor ip", `{"code":200,"data":[{"port":8848,"state":"UP"}]}`, `neither "address" nor "ip"`},
		{"port as string", `{"code":200,"data":[{"ip":"a","port":"8848"}]}`, `field "port" is string, want integer`},
		{"port fraction", `{"code":200,"data":[{"ip":"a","port":8848.5}]}`, `field "port" is not a 64-bit integer`},
		{"port too large", `{"code":200,"data":[{"ip":"a","port":99999999999}]}`, `field "port" is out of range`},
		{"state as number", `{"code":200,"data":[{"ip":"a","state":1}]}`, `field "state" is number`},
		{"extendInfo array", `{"code":200,"data":[{"ip":"a","extendInfo":[]}]}`, `field "extendInfo" is array`},
		{"refresh as string", `{"code":200,"data":[{"ip":"a","extendInfo":{"lastRefreshTime":"1"}}]}`, `"lastRefreshTime" is string`},
		{"raftPort as bool", `{"code":200,"data":[{"ip":"a","extendInfo":{"raftPort":true}}]}`, `"raftPort" is boolean`},
		{"members not strings", `{"code":200,"data":[{"ip":"a","extendInfo":{"raftMetaData":{"metaDataMap":{"g":{"raftGroupMember":[1]}}}}}]}`,
			`group "g": field "raftGroupMember" item 0 is number`},
		{"term as string", `{"code":200,"data":[{"ip":"a","extendInfo":{"raftMetaData":{"metaDataMap":{"g":{"term":"5"}}}}}]}`, `"term" is string`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseMembers(2, []byte(tc.body))
			e := kindError(t, err, KindMalformedBody)
			if !strings.Contains(e.Error(), tc.errPart) {
				t.Errorf("error %q does not mention %q", e, tc.errPart)
			}
		})
	}
}

func TestParseMembersLenientWhereNacosVaries(t *testing.T) {
	body := `{"code":0,"message":"success","data":[
		{"ip":"10.0.0.1","port":8848,"state":"UP","address":null,"failAccessCnt":null,"extendInfo":{"raftPort":7848,"version":null,"someNewKey":{"x":[1]}}},
		{"ip":"fd00::1","port":8848,"state":"DOWN","extendInfo":null,"futureField":true},
		{"address":"nacos-9:8848"}]}`
	members, err := parseMembers(3, []byte(body))
	if err != nil {
		t.Fatalf("parseMembers: %v", err)
	}
	if len(members) != 3 {
		t.Fatalf("got %d members", len(members))
	}
	if m := members[0]; m.Address != "10.0.0.1:8848" || m.RaftPort != "7848" || m.Version != "" || !m.NeverContacted() {
		t.Errorf("member 0 = %+v", m)
	}
	if m := members[1]; m.Address != "[fd00::1]:8848" || m.State != MemberDown || m.Raft != nil {
		t.Errorf("member 1 = %+v", m)
	}
	if m := members[2]; m.Address != "nacos-9:8848" || m.IP != "" || m.Port != 0 || m.State != "" {
		t.Errorf("member 2 = %+v", m)
	}
	// The envelope success code belongs to the major: 200 for v1, 0 for v3.
	if _, err := parseMembers(2, []byte(body)); KindOf(err) != KindUnexpectedStatus {
		t.Errorf("a v3 envelope read as v1: %v", err)
	}
}

func TestParseServerState(t *testing.T) {
	st, err := parseServerState(2, []byte(`{"version":"2.5.1-SNAPSHOT","auth_enabled":"true","function_mode":"naming","x":null}`))
	if err != nil || st.Major != 2 || st.Version != "2.5.1-SNAPSHOT" || !st.AuthEnabled || st.FunctionMode != "naming" || len(st.Raw) != 3 {
		t.Errorf("state = %+v, %v", st, err)
	}
	for _, body := range []string{`{"version":2}`, `{"version":"v3"}`, `{}`, `{"version":"3.0.3","server_port":8848}`, `[]`} {
		if _, err := parseServerState(2, []byte(body)); KindOf(err) != KindMalformedBody {
			t.Errorf("%s: err = %v, want MalformedBody", body, err)
		}
	}
	if _, err := parseServerState(3, []byte(`{"version":"3.0.3"}`)); KindOf(err) != KindMalformedBody {
		t.Errorf("a raw map read as a 3.x envelope: %v", err)
	}
}

func TestParseLogin(t *testing.T) {
	token, ttl, err := parseLogin(200, []byte(`{"accessToken":"abc","tokenTtl":18000,"globalAdmin":true,"username":"nacos"}`))
	if err != nil || token != "abc" || ttl != 5*time.Hour {
		t.Errorf("parseLogin = %q, %v, %v", token, ttl, err)
	}
	if _, ttl, _ := parseLogin(200, []byte(`{"accessToken":"abc","tokenTtl":9223372036854775807}`)); ttl != maxTokenTTL {
		t.Errorf("huge TTL = %v", ttl)
	}
	cases := []struct {
		status int
		body   string
		kind   ErrorKind
		msg    string
	}{
		{403, "user not found!", KindAuthRefused, "login refused: user not found!"},
		{403, "", KindAuthRefused, "login refused"},
		{200, `{"code":20004,"message":"Current Nacos auth plugin type is not nacos","data":null}`, KindAuthRefused,
			"login refused: Current Nacos auth plugin type is not nacos (code 20004)"},
		{200, `{"accessToken":""}`, KindMalformedBody, ""},
		{200, `{"accessToken":"abc","tokenTtl":"18000"}`, KindMalformedBody, ""},
		// Real 3.0.3 refuses a wrong password with a bare Spring 500.
		{500, `{"status":500,"error":"Internal Server Error","message":"No message available"}`, KindAuthRefused, "login refused: No message available"},
		{502, "boom", KindServerError, "boom"},
	}
	for _, tc := range cases {
		_, _, err := parseLogin(tc.status, []byte(tc.body))
		e := kindError(t, err, tc.kind)
		if e.Message != tc.msg {
			t.Errorf("%d %s: message = %q, want %q", tc.status, tc.body, e.Message, tc.msg)
		}
	}
}

func TestParseErrorMessage(t *testing.T) {
	cases := []struct{ body, want string }{
		{`{"timestamp":"t","status":403,"error":"Forbidden","message":"user not found!","path":"/p"}`, "user not found!"},
		{`{"status":410,"error":"Gone","message":"{\"code\":40000,\"message\":\"Current API will be deprecated\",\"data\":null}"}`, "Current API will be deprecated"},
		{`{"status":404,"error":"Not Found","message":""}`, "Not Found"},
		{`{"code":23000,"message":"illegal state","data":"Illegal state: FOO"}`, "illegal state"},
		{"  line one\n\tline two  ", "line one line two"},
		{"", ""},
		{"bad \xff utf8", "bad \uFFFD utf8"},
	}
	for _, tc := range cases {
		if got := parseErrorMessage([]byte(tc.body)); got != tc.want {
			t.Errorf("parseErrorMessage(%q) = %q, want %q", tc.body, got, tc.want)
		}
	}
	long := parseErrorMessage([]byte(strings.Repeat("é", 300)))
	if len(long) > maxMessageLen || !utf8.ValidString(long) || !strings.HasSuffix(long, "...") {
		t.Errorf("long message: %d bytes, valid %v", len(long), utf8.ValidString(long))
	}
}

package nacos

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"
)

// parseMembers reads a member-list answer: the envelope of the major's API whose
// data is an array of member objects.
func parseMembers(major int, body []byte) ([]Member, error) {
	data, err := unwrapEnvelope(http200, body, successCode(major))
	if err != nil {
		return nil, err
	}
	if t := jsonType(data); t != "array" {
		return nil, malformed(http200, fmt.Errorf("data is %s, want array of members", t))
	}
	items, err := splitArray(data)
	if err != nil {
		return nil, malformed(http200, fmt.Errorf("data: %w", err))
	}
	members := make([]Member, 0, len(items))
	for i, item := range items {
		m, err := decodeMember(item)
		if err != nil {
			return nil, malformed(http200, fmt.Errorf("member %d: %w", i, err))
		}
		members = append(members, m)
	}
	return members, nil
}

// parseMember reads a self-member answer: the envelope whose data is one member.
func parseMember(major int, body []byte) (Member, error) {
	data, err := unwrapEnvelope(http200, body, successCode(major))
	if err != nil {
		return Member{}, err
	}
	m, err := decodeMember(data)
	if err != nil {
		return Member{}, malformed(http200, fmt.Errorf("member: %w", err))
	}
	return m, nil
}

// http200 is the status parsers of 2xx-only answers report in their errors.
const http200 = 200

func decodeMember(raw json.RawMessage) (Member, error) {
	f, err := decodeTrusted(raw, "member")
	if err != nil {
		return Member{}, err
	}
	m, err := decodeMemberIdentity(f)
	if err != nil {
		return Member{}, err
	}
	state, _, err := f.str("state")
	if err != nil {
		return Member{}, err
	}
	m.State = MemberState(state)
	if m.FailAccessCnt, _, err = f.smallInt("failAccessCnt"); err != nil {
		return Member{}, err
	}
	ext, ok, err := f.object("extendInfo")
	if err != nil {
		return Member{}, err
	}
	if !ok {
		return m, nil
	}
	if err := decodeExtendInfo(ext, &m); err != nil {
		return Member{}, fmt.Errorf("extendInfo: %w", err)
	}
	return m, nil
}

// decodeMemberIdentity reads ip, port and address; Address is built from ip:port
// when Nacos leaves it out, and a member with neither cannot be told apart.
func decodeMemberIdentity(f fields) (Member, error) {
	var m Member
	var err error
	var hasPort bool
	if m.IP, _, err = f.str("ip"); err != nil {
		return Member{}, err
	}
	if m.Port, hasPort, err = f.smallInt("port"); err != nil {
		return Member{}, err
	}
	if m.Address, _, err = f.str("address"); err != nil {
		return Member{}, err
	}
	switch {
	case m.Address != "":
	case m.IP != "" && hasPort:
		m.Address = net.JoinHostPort(m.IP, strconv.Itoa(m.Port))
	case m.IP != "":
		m.Address = m.IP
	default:
		return Member{}, errors.New(`neither "address" nor "ip" is set`)
	}
	return m, nil
}

func decodeExtendInfo(ext fields, m *Member) error {
	var err error
	if m.Version, _, err = ext.str("version"); err != nil {
		return err
	}
	ms, ok, err := ext.integer("lastRefreshTime")
	if err != nil {
		return err
	}
	if ok {
		m.LastRefreshTime = time.UnixMilli(ms).UTC()
	}
	if m.RaftPort, err = raftPort(ext); err != nil {
		return err
	}
	meta, ok, err := ext.object("raftMetaData")
	if err != nil || !ok {
		return err
	}
	m.Raft, err = decodeRaftMetaData(meta)
	if err != nil {
		return fmt.Errorf("raftMetaData: %w", err)
	}
	return nil
}

// raftPort accepts the documented string and, leniently, a JSON integer.
func raftPort(ext fields) (string, error) {
	raw, present := ext["raftPort"]
	if present && jsonType(raw) == "number" {
		n, _, err := ext.integer("raftPort")
		if err != nil {
			return "", err
		}
		return strconv.FormatInt(n, 10), nil
	}
	port, _, err := ext.str("raftPort")
	return port, err
}

func decodeRaftMetaData(meta fields) (map[string]RaftGroup, error) {
	groups, ok, err := meta.object("metaDataMap")
	if err != nil || !ok {
		return nil, err
	}
	out := make(map[string]RaftGroup, len(groups))
	for name, raw := range groups {
		g, err := decodeRaftGroup(raw)
		if err != nil {
			return nil, fmt.Errorf("group %q: %w", name, err)
		}
		out[name] = g
	}
	return out, nil
}

func decodeRaftGroup(raw json.RawMessage) (RaftGroup, error) {
	f, err := decodeTrusted(raw, "group")
	if err != nil {
		return RaftGroup{}, err
	}
	var g RaftGroup
	if g.Leader, _, err = f.str("leader"); err != nil {
		return RaftGroup{}, err
	}
	if g.Members, _, err = f.strings("raftGroupMember"); err != nil {
		return RaftGroup{}, err
	}
	if g.Term, _, err = f.integer("term"); err != nil {
		return RaftGroup{}, err
	}
	if g.ErrMsg, _, err = f.str("errMsg"); err != nil {
		return RaftGroup{}, err
	}
	return g, nil
}

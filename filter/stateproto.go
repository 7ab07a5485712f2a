// States by protocol: which share of the state table each kind of flow
// holds, counted where entries are inserted and removed (not per frame).

package filter

import "encoding/json"

// StateProto is a protocol class of the state table.
type StateProto uint8

const (
	StateTCP StateProto = iota
	StateUDP
	StateICMP
	StateICMP6
	StateOther
	NumStateProtos
)

var stateProtoNames = [NumStateProtos]string{"tcp", "udp", "icmp", "icmp6", "other"}

func (p StateProto) String() string {
	if p < NumStateProtos {
		return stateProtoNames[p]
	}
	return "unknown"
}

func stateProtoOf(proto uint8) StateProto {
	switch proto {
	case protoTCP:
		return StateTCP
	case protoUDP:
		return StateUDP
	case protoICMP:
		return StateICMP
	case protoICMP6:
		return StateICMP6
	}
	return StateOther
}

// StateProtoCounts are live states by protocol class.
type StateProtoCounts [NumStateProtos]int

// MarshalJSON writes the counts as an object keyed by class name.
func (c StateProtoCounts) MarshalJSON() ([]byte, error) {
	m := make(map[string]int, NumStateProtos)
	for i, n := range c {
		m[StateProto(i).String()] = n
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (c *StateProtoCounts) UnmarshalJSON(b []byte) error {
	var m map[string]int
	err := json.Unmarshal(b, &m)
	for i := range c {
		c[i] = m[StateProto(i).String()]
	}
	return err
}

package vectorcheck

import (
	"math"
	"sort"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Canonical encodes a message as eventwire writes every message, and as
// protobuf's C++ and Python runtimes write it with deterministic
// serialization: fields in field-number order (oneof members among the
// others, where Go's own deterministic Marshal puts them last), repeated
// scalars packed, map entries sorted by key with both key and value
// written, and the unknown fields last.
func Canonical(m protoreflect.Message) []byte {
	return appendMessage(nil, m)
}

func appendMessage(b []byte, m protoreflect.Message) []byte {
	fields := m.Descriptor().Fields()
	ordered := make([]protoreflect.FieldDescriptor, fields.Len())
	for i := range ordered {
		ordered[i] = fields.Get(i)
	}
	sort.Slice(ordered, func(i, j int) bool { return ordered[i].Number() < ordered[j].Number() })
	for _, fd := range ordered {
		if !m.Has(fd) {
			continue
		}
		value := m.Get(fd)
		switch {
		case fd.IsMap():
			b = appendMap(b, fd, value.Map())
		case fd.IsList():
			b = appendList(b, fd, value.List())
		default:
			b = appendField(b, fd, value)
		}
	}
	return append(b, m.GetUnknown()...)
}

func appendList(b []byte, fd protoreflect.FieldDescriptor, list protoreflect.List) []byte {
	if fd.IsPacked() {
		var packed []byte
		for i := 0; i < list.Len(); i++ {
			packed = appendScalar(packed, fd, list.Get(i))
		}
		b = protowire.AppendTag(b, fd.Number(), protowire.BytesType)
		return protowire.AppendBytes(b, packed)
	}
	for i := 0; i < list.Len(); i++ {
		b = appendField(b, fd, list.Get(i))
	}
	return b
}

func appendMap(b []byte, fd protoreflect.FieldDescriptor, m protoreflect.Map) []byte {
	keys := make([]protoreflect.MapKey, 0, m.Len())
	m.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
		keys = append(keys, k)
		return true
	})
	keyField, valueField := fd.MapKey(), fd.MapValue()
	sort.Slice(keys, func(i, j int) bool { return lessKey(keyField.Kind(), keys[i], keys[j]) })
	for _, k := range keys {
		var entry []byte
		entry = appendField(entry, keyField, k.Value())
		entry = appendField(entry, valueField, m.Get(k))
		b = protowire.AppendTag(b, fd.Number(), protowire.BytesType)
		b = protowire.AppendBytes(b, entry)
	}
	return b
}

func lessKey(kind protoreflect.Kind, a, b protoreflect.MapKey) bool {
	switch kind {
	case protoreflect.BoolKind:
		return !a.Bool() && b.Bool()
	case protoreflect.StringKind:
		return a.String() < b.String()
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return a.Uint() < b.Uint()
	default:
		return a.Int() < b.Int()
	}
}

func wireType(kind protoreflect.Kind) protowire.Type {
	switch kind {
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind, protoreflect.FloatKind:
		return protowire.Fixed32Type
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind, protoreflect.DoubleKind:
		return protowire.Fixed64Type
	case protoreflect.StringKind, protoreflect.BytesKind, protoreflect.MessageKind:
		return protowire.BytesType
	default:
		return protowire.VarintType
	}
}

func appendField(b []byte, fd protoreflect.FieldDescriptor, v protoreflect.Value) []byte {
	b = protowire.AppendTag(b, fd.Number(), wireType(fd.Kind()))
	return appendScalar(b, fd, v)
}

func appendScalar(b []byte, fd protoreflect.FieldDescriptor, v protoreflect.Value) []byte {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return protowire.AppendVarint(b, protowire.EncodeBool(v.Bool()))
	case protoreflect.EnumKind:
		return protowire.AppendVarint(b, uint64(int64(v.Enum())))
	case protoreflect.Int32Kind, protoreflect.Int64Kind:
		return protowire.AppendVarint(b, uint64(v.Int()))
	case protoreflect.Uint32Kind, protoreflect.Uint64Kind:
		return protowire.AppendVarint(b, v.Uint())
	case protoreflect.Sint32Kind, protoreflect.Sint64Kind:
		return protowire.AppendVarint(b, protowire.EncodeZigZag(v.Int()))
	case protoreflect.Fixed32Kind:
		return protowire.AppendFixed32(b, uint32(v.Uint()))
	case protoreflect.Sfixed32Kind:
		return protowire.AppendFixed32(b, uint32(int32(v.Int())))
	case protoreflect.FloatKind:
		return protowire.AppendFixed32(b, math.Float32bits(float32(v.Float())))
	case protoreflect.Fixed64Kind:
		return protowire.AppendFixed64(b, v.Uint())
	case protoreflect.Sfixed64Kind:
		return protowire.AppendFixed64(b, uint64(v.Int()))
	case protoreflect.DoubleKind:
		return protowire.AppendFixed64(b, math.Float64bits(v.Float()))
	case protoreflect.StringKind:
		return protowire.AppendString(b, v.String())
	case protoreflect.BytesKind:
		return protowire.AppendBytes(b, v.Bytes())
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return protowire.AppendBytes(b, appendMessage(nil, v.Message()))
	}
	panic("vectorcheck: a field of kind " + fd.Kind().String())
}

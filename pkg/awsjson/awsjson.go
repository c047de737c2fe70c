// Package awsjson turns aws-sdk-go-v2 input structs into the JSON the AWS CLI's
// --cli-input-json accepts: lowerCamel keys, nil and zero-length values left out. The SDK's
// own structs have no JSON tags (encoding/json would print PascalCase), and its wire
// serializers are internal, so this small reflection walk is the bridge.
package awsjson

import (
	"bytes"
	"encoding/json"
	"reflect"
	"unicode"
	"unicode/utf8"
)

// Value converts v (a struct, pointer, slice or map of SDK types) into plain JSON values.
func Value(v any) any { return convert(reflect.ValueOf(v)) }

// Marshal returns v as indented CLI-input JSON with a trailing newline.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(Value(v)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func convert(v reflect.Value) any {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Struct:
		out := map[string]any{}
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			fv := v.Field(i)
			if omit(fv) {
				continue
			}
			if c := convert(fv); c != nil {
				out[lowerFirst(f.Name)] = c
			}
		}
		return out
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return v.Bytes()
		}
		out := make([]any, 0, v.Len())
		for i := 0; i < v.Len(); i++ {
			out = append(out, convert(v.Index(i)))
		}
		return out
	case reflect.Map:
		// Map keys are data (log options, tags), never field names: kept as they are.
		out := map[string]any{}
		iter := v.MapRange()
		for iter.Next() {
			out[iter.Key().String()] = convert(iter.Value())
		}
		return out
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int()
	case reflect.Float32, reflect.Float64:
		return v.Float()
	}
	return nil
}

// omit leaves out what the SDK would not send: nil pointers, empty strings and enums, empty
// collections, and zero numbers in non-pointer fields (the SDK's "unset").
func omit(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		return v.IsNil()
	case reflect.Slice, reflect.Map, reflect.String:
		return v.Len() == 0
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Float32, reflect.Float64:
		return v.IsZero()
	}
	return false
}

// lowerFirst maps an SDK field name to its CLI key: ContainerDefinitions → containerDefinitions.
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}

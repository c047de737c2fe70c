package ecssim

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"time"
)

// obj is a decoded awsJson1.1 document. The simulator edits moto's answers as generic JSON
// rather than typed structs so that every field it does not model survives untouched.
type obj = map[string]any

// decodeObj decodes with UseNumber so moto's numbers round-trip exactly.
func decodeObj(b []byte) (obj, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var o obj
	if err := dec.Decode(&o); err != nil {
		return nil, err
	}
	if o == nil {
		o = obj{}
	}
	return o, nil
}

func str(o obj, key string) string {
	s, _ := o[key].(string)
	return s
}

func child(o obj, key string) obj {
	c, _ := o[key].(obj)
	return c
}

func list(o obj, key string) []any {
	l, _ := o[key].([]any)
	return l
}

// intField reads a JSON number (or a numeric string, as moto sometimes sends) with a default.
func intField(o obj, key string, def int) int {
	switch v := o[key].(type) {
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return int(n)
		}
	case string:
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	case float64:
		return int(v)
	case int:
		return v
	}
	return def
}

func boolField(o obj, key string) bool {
	b, _ := o[key].(bool)
	return b
}

// epoch renders a time as awsJson does: seconds since the epoch, a JSON number with
// millisecond precision. The zero time is nil so the field is left out.
func epoch(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return json.Number(strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', 3, 64))
}

// putTime sets key only for a non-zero time: ECS leaves out timestamps that have not happened.
func putTime(o obj, key string, t time.Time) {
	if v := epoch(t); v != nil {
		o[key] = v
	}
}

// writeJSON answers an awsJson1.1 call.
func writeJSON(w http.ResponseWriter, status int, requestID string, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		writeAWSError(w, http.StatusInternalServerError, "ServerException", "ecssim: "+err.Error())
		return
	}
	if requestID == "" {
		requestID = newRequestID()
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("x-amzn-RequestId", requestID)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeAWSError answers with an awsJson error: __type in the body and x-amzn-ErrorType in
// the headers, which is where the SDKs look for the error code.
func writeAWSError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("x-amzn-ErrorType", code)
	writeJSON(w, status, "", obj{"__type": code, "message": message})
}

func ceilDiv(a, b int) int {
	return int(math.Ceil(float64(a) / float64(b)))
}

package tlstest

import "reflect"

// FillStrings sets every plain string reachable from v (a pointer) to s:
// struct fields, slice elements, map keys and values, and []byte too. Nil
// pointers get a new value, and empty slices and maps one element, so a
// renderer given the value has every field to show. Named string types
// (enumerations such as a category) keep their value. A test fills a
// report with hostile text this way and renders it: a field added later
// without sanitizing is caught without the test knowing its name.
func FillStrings(v any, s string) { fill(reflect.ValueOf(v).Elem(), s, 0) }

var plainString = reflect.TypeOf("")

func fill(v reflect.Value, s string, depth int) {
	if depth > 10 { // a recursive type would not end
		return
	}
	switch v.Kind() {
	case reflect.String:
		if v.Type() == plainString {
			v.SetString(s)
		}
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		fill(v.Elem(), s, depth+1)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), s, depth+1)
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			v.SetBytes([]byte(s))
			return
		}
		if v.Len() == 0 {
			v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		}
		for i := range v.Len() {
			fill(v.Index(i), s, depth+1)
		}
	case reflect.Map:
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k, s, depth+1)
		fill(e, s, depth+1)
		v.SetMapIndex(k, e)
	}
}

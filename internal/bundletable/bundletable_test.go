package bundletable

import (
	"strings"
	"testing"
)

func TestExtract(t *testing.T) {
	js := []byte(`x={files:[{filename:"/a",start:0,end:2},{filename:"/b/c",start:2,end:5}],remote_package_size:5}`)
	got, err := Extract(js, 5)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"files":[{"filename":"/a","start":0,"end":2},{"filename":"/b/c","start":2,"end":5}],"remote_package_size":5}` + "\n"
	if string(got) != want {
		t.Fatalf("got %s", got)
	}
	for _, tc := range []struct {
		js   string
		size int64
		err  string
	}{
		{`nothing here`, 0, "no file table"},
		{`{filename:"/a",start:0,end:2},{filename:"/b",start:3,end:5} remote_package_size:5`, 5, "not contiguous"},
		{`{filename:"/a",start:0,end:2} remote_package_size:5`, 5, "cover 2 bytes"},
		{`{filename:"/a",start:0,end:2} remote_package_size:2`, 3, "pglite.data has 3 bytes"},
	} {
		if _, err := Extract([]byte(tc.js), tc.size); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: err = %v, want %q", tc.js, err, tc.err)
		}
	}
}

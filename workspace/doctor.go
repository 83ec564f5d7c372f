package workspace

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
	"github.com/mtlswb/mtlswb/workspace/safefile"
)

// Diagnosis is what Examine found in a workspace file. Its strings are safe
// to print.
type Diagnosis struct {
	Path string `json:"path"`
	// Damage is why commands refuse the file; empty when Check passes.
	Damage string `json:"damage,omitempty"`
	// Consistency is what bbolt's own check (tx.Check) found. It runs only
	// on a file whose pages passed Check: bbolt's check trusts them.
	Consistency []string `json:"consistency,omitempty"`
	// Structure is what the page walk met and went around.
	Structure []string       `json:"structure,omitempty"`
	Records   []RecordHealth `json:"records"`
	// Meta is why the workspace's own records are unusable; empty when
	// they are fine.
	Meta        string `json:"meta,omitempty"`
	Encrypted   bool   `json:"encrypted"`
	KeysChecked bool   `json:"keys_checked"`
	// Other counts what the other tables hold, readable and not.
	Other map[string]TableHealth `json:"tables"`
	// Removed lists the stale temporary files removed.
	Removed  []string `json:"removed_temporary_files,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// RecordHealth is one CA or identity as Examine found it.
type RecordHealth struct {
	Name    string `json:"name"`
	Kind    Kind   `json:"kind,omitempty"`
	Problem string `json:"problem,omitempty"` // empty when readable
	// Orphaned: read from a page the tree no longer reaches.
	Orphaned bool `json:"orphaned,omitempty"`
}

// TableHealth counts one table's entries.
type TableHealth struct {
	Readable   int `json:"readable"`
	Unreadable int `json:"unreadable"`
}

// Healthy reports whether nothing is wrong.
func (d *Diagnosis) Healthy() bool {
	if d.Damage != "" || d.Meta != "" || len(d.Consistency) > 0 || len(d.Structure) > 0 {
		return false
	}
	for _, r := range d.Records {
		if r.Problem != "" {
			return false
		}
	}
	for _, t := range d.Other {
		if t.Unreadable > 0 {
			return false
		}
	}
	return true
}

// Doctor holds one examination of a workspace file, for CheckKeys and
// Repair to build on.
type Doctor struct {
	Diagnosis
	path string // the real file, symlinks resolved
	sv   *salvage
	keys *Keys
}

// Examine diagnoses the workspace at path without changing it (it removes
// stale temporary copies beside it, as every command does). It fails only
// when there is no file to examine.
func Examine(path string) (*Doctor, error) {
	d := &Doctor{path: path, Diagnosis: Diagnosis{Path: safetext.Line(path), Other: map[string]TableHealth{}}}
	real, err := realPath(path)
	if err == nil {
		d.path = real
		_, _, err = openRegular(real)
	}
	if err != nil {
		// Not a file at all (a directory, a FIFO, a link to nowhere):
		// Check names it, and there is nothing to read.
		var dmg *DamagedError
		if cerr := Check(path); errors.As(cerr, &dmg) {
			d.Damage = safetext.Line(dmg.Reason)
			return d, nil
		} else if cerr != nil {
			return nil, cerr
		}
		return nil, err
	}
	d.Removed = cleanTemps(real)
	d.Warnings = PermissionWarnings(real)
	unlock, err := lockShared(real)
	if err != nil {
		return nil, err
	}
	defer unlock()
	checkErr := checkOnce(real)
	var dmg *DamagedError
	switch {
	case errors.As(checkErr, &dmg):
		d.Damage = safetext.Line(dmg.Reason)
	case checkErr != nil:
		return nil, checkErr
	default:
		d.Consistency = consistency(real)
	}
	if d.sv, err = readSalvage(real); err != nil {
		if d.Damage == "" {
			d.Damage = safetext.Line(err.Error())
		}
		return d, nil
	}
	d.Structure = safetext.Lines(d.sv.problems)
	if _, prot, err := d.sv.meta(); err != nil {
		d.Meta = err.Error()
	} else {
		d.Encrypted = prot == protectionPassphrase
	}
	d.examineRecords()
	d.examineTables()
	return d, nil
}

// consistency runs bbolt's own check on a file that passed Check.
func consistency(path string) []string {
	var out []string
	err := viewFile(path, func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			out = append(out, safetext.Line(err.Error()))
		}
		return nil
	})
	if err != nil {
		out = append(out, safetext.Line(err.Error()))
	}
	return out
}

// Salvaged reports whether Examine could read the file's pages at all.
func (d *Doctor) Salvaged() bool { return d.sv != nil }

// CheckKeys unlocks the salvaged keys with passphrase and checks that every
// private key decrypts.
func (d *Doctor) CheckKeys(passphrase []byte) error {
	if d.sv == nil {
		return errors.New("nothing could be read from the file, so there are no keys to check")
	}
	keys, err := d.sv.unlock(passphrase)
	if err != nil {
		return err
	}
	d.keys, d.KeysChecked = keys, true
	d.examineRecords()
	return nil
}

func (d *Doctor) examineRecords() {
	entries, records := d.sv.bucket(bucketEntries), d.sv.bucket(bucketRecords)
	names := make([]string, 0, len(entries))
	for n := range entries {
		names = append(names, n)
	}
	for n := range records {
		if entries[n] == nil {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	d.Records = d.Records[:0]
	for _, n := range names {
		h := RecordHealth{Name: safetext.Line(n), Orphaned: slices.Contains(d.sv.orphaned, n)}
		e, err := d.readRecord(n)
		h.Kind = e.Kind
		if err != nil {
			h.Problem = safetext.Line(err.Error())
		}
		d.Records = append(d.Records, h)
	}
}

// readRecord checks record name the way Get and Signer would read it.
func (d *Doctor) readRecord(name string) (Entry, error) {
	ev, bv := d.sv.bucket(bucketEntries)[name], d.sv.bucket(bucketRecords)[name]
	if ev == nil || bv == nil {
		return Entry{}, errors.New("half of the record is lost")
	}
	e, err := decodeEntry(ev)
	if err != nil {
		return e, err
	}
	if e.Name != name {
		return e, errors.New("its summary names another record")
	}
	body, err := decodeBody(name, bv)
	if err != nil {
		return e, err
	}
	if _, err := parseChain(name, body.Chain); err != nil {
		return e, err
	}
	sum := sha256.Sum256(body.Chain[0])
	if hex.EncodeToString(sum[:]) != e.SHA256 || e.HasKey != (len(body.Key) > 0) {
		return e, errors.New("its summary does not match its certificate")
	}
	if d.keys != nil && e.HasKey {
		s := &Store{workspaceID: d.keys.workspaceID}
		if _, err := s.openKey(d.keys, &e, &body); err != nil {
			return e, errors.New("its private key does not decrypt")
		}
	}
	return e, nil
}

// tableChecks decodes one value of each table other than the records.
var tableChecks = map[string]func(k, v []byte) error{
	string(bucketHistory): func(k, v []byte) error {
		var e HistoryEntry
		if len(k) != 8 {
			return errors.New("bad key")
		}
		return json.Unmarshal(v, &e)
	},
	string(bucketRequests): func(_, v []byte) error { var r SavedRequest; return json.Unmarshal(v, &r) },
	string(bucketProfiles): func(k, v []byte) error { _, err := decodeProfile(k, v); return err },
}

func (d *Doctor) examineTables() {
	for name, check := range tableChecks {
		var h TableHealth
		for k, v := range d.sv.bucket([]byte(name)) {
			if check([]byte(k), v) == nil {
				h.Readable++
			} else {
				h.Unreadable++
			}
		}
		d.Other[name] = h
	}
}

// RepairResult says what Repair wrote.
type RepairResult struct {
	Path     string   `json:"path"`
	Damaged  string   `json:"damaged_copy"`
	Kept     []string `json:"kept"`
	Lost     []string `json:"lost"`
	LostRows int      `json:"lost_table_entries"`
}

// Repair writes a new workspace (mode 0600, the same passphrase: the
// wrapped master key is copied as it is) holding every readable record and
// table entry, keeps the damaged file beside it as NAME.damaged-TIME, and
// puts the new file in its place.
func (d *Doctor) Repair() (*RepairResult, error) {
	if d.sv == nil {
		return nil, fmt.Errorf("repair %s: nothing can be read from it (%s); move it away and run `mtlswb init`", d.Path, d.Damage)
	}
	if d.Meta != "" {
		return nil, fmt.Errorf("repair %s: %s; move it away and run `mtlswb init`", d.Path, d.Meta)
	}
	unlock, err := lockExclusiveFile(d.path)
	if err != nil {
		return nil, err
	}
	defer unlock()
	dir, base := filepath.Split(d.path)
	tmp, err := safefile.CreateTemp(filepath.Clean(dir), base, tempTag)
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	tmp.Close()
	res := &RepairResult{Path: d.Path}
	db, err := createDB(tmp.Name())
	if err != nil {
		return nil, err
	}
	err = db.Update(func(tx *bolt.Tx) error { return d.fill(tx, res) })
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("repair %s: %w", d.Path, err)
	}
	aside := fmt.Sprintf("%s.damaged-%s", d.path, time.Now().UTC().Format("20060102T150405Z"))
	if err := os.Link(d.path, aside); err != nil {
		// No hard links here: move the original aside first.
		if err := os.Rename(d.path, aside); err != nil {
			return nil, fmt.Errorf("repair %s: keep the damaged file: %w", d.Path, err)
		}
	}
	if err := os.Rename(tmp.Name(), d.path); err != nil {
		return nil, fmt.Errorf("repair %s: %w (the damaged file is at %s)", d.Path, err, aside)
	}
	res.Damaged = safetext.Line(aside)
	return res, safefile.SyncDir(filepath.Clean(dir))
}

// fill writes the salvaged content into a fresh workspace file.
func (d *Doctor) fill(tx *bolt.Tx, res *RepairResult) error {
	for _, name := range allBuckets {
		b, err := tx.CreateBucket(name)
		if err != nil {
			return err
		}
		b.FillPercent = 0.9
	}
	for k, v := range d.sv.bucket(bucketMeta) {
		if err := tx.Bucket(bucketMeta).Put([]byte(k), v); err != nil {
			return err
		}
	}
	for _, r := range d.Records {
		if r.Problem != "" {
			res.Lost = append(res.Lost, r.Name+": "+r.Problem)
			continue
		}
		ev, bv := d.sv.bucket(bucketEntries)[r.Name], d.sv.bucket(bucketRecords)[r.Name]
		if err := putEncoded(tx, r.Name, ev, bv); err != nil {
			return err
		}
		// Fingerprints are rebuilt from the certificates rather than
		// trusted from the damaged file.
		body, _ := decodeBody(r.Name, bv)
		fp := sha256.Sum256(body.Chain[0])
		if err := tx.Bucket(bucketFingerprints).Put(fp[:], []byte(r.Name)); err != nil {
			return err
		}
		res.Kept = append(res.Kept, r.Name)
	}
	for name, check := range tableChecks {
		b := tx.Bucket([]byte(name))
		maxID := uint64(0)
		for k, v := range d.sv.bucket([]byte(name)) {
			if check([]byte(k), v) != nil {
				res.LostRows++
				continue
			}
			if err := b.Put([]byte(k), v); err != nil {
				return err
			}
			if len(k) == 8 {
				maxID = max(maxID, binary.BigEndian.Uint64([]byte(k)))
			}
		}
		// Ids continue after the highest ever given, as if nothing
		// happened; a lost sequence falls back to the highest id kept.
		if err := b.SetSequence(max(maxID, d.sv.sequences[name])); err != nil {
			return err
		}
	}
	return bumpGeneration(tx)
}

//! Test data: the `feeders` section's data files, read once at load time and shared read-only by all
//! sessions (Gatling's feeders, k6's `SharedArray`).
//!
//! ```yaml
//! feeders:
//!   accounts: {file: accounts.csv, order: unique}   # a `Feed` activity takes the next row
//! ```
//!
//! Formats, by extension: `.csv` (a header row names the columns; every row has as many fields),
//! `.json` (an array of objects) and `.jsonl`/`.ndjson` (one object per line). A CSV file is kept as
//! one buffer of its field values plus one `u32` end offset per field, so a million rows cost about
//! the file's size and no allocation per row; JSON rows are kept as parsed objects.
//!
//! Problems are [`FeedError`]s that carry the line of the data file, so the loader reports them at
//! `file:line` like any other diagnostic.

use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// Largest data file read (offsets are 32-bit).
pub const MAX_FEED_SIZE: u64 = u32::MAX as u64;

/// How a `Feed` activity picks rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FeedOrder {
    /// One after the other, shared by all sessions, starting again after the last row.
    #[default]
    Sequential,
    /// A random row each time.
    Random,
    /// Each row at most once in the whole run (across sessions and `--shard` processes); a session that
    /// asks when none is left ends its scenario.
    Unique,
}

impl FeedOrder {
    /// The names `order` accepts.
    pub const NAMES: [&str; 3] = ["sequential", "random", "unique"];

    /// The order of a name in [`Self::NAMES`].
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "sequential" => Some(FeedOrder::Sequential),
            "random" => Some(FeedOrder::Random),
            "unique" => Some(FeedOrder::Unique),
            _ => None,
        }
    }

    /// The name as written.
    pub fn as_str(self) -> &'static str {
        match self {
            FeedOrder::Sequential => "sequential",
            FeedOrder::Random => "random",
            FeedOrder::Unique => "unique",
        }
    }
}

/// One `feeders` entry, loaded.
#[derive(Clone, Debug)]
pub struct Feeder {
    /// Its name: the variable a `Feed` sets (`$(accounts.username)`).
    pub name: String,
    /// The data file.
    pub path: PathBuf,
    /// How rows are picked.
    pub order: FeedOrder,
    /// The rows, shared (for a generated feeder: none, but its columns).
    pub data: std::sync::Arc<FeedData>,
    /// `generate:` instead of `file:`: rows made on demand.
    pub generate: Option<std::sync::Arc<super::generate::Generated>>,
    /// Where the entry was written.
    pub span: super::Span,
}

/// The rows of a data file.
#[derive(Debug)]
pub struct FeedData {
    columns: Vec<String>,
    rows: Rows,
}

#[derive(Debug)]
enum Rows {
    /// CSV: every field's text, one after the other, and the end offset of each field in `text`
    /// (row `r`, column `c` at `ends[r * width + c]`; it starts where the field before it ended).
    Table { text: String, ends: Vec<u32> },
    /// JSON objects.
    Objects(Vec<Map<String, Value>>),
}

/// Why a data file cannot be used; `line` is 1-based in the data file when known.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct FeedError {
    /// The data file.
    pub path: PathBuf,
    /// Where in it, when known.
    pub line: Option<u64>,
    /// What is wrong (lowercase, one line).
    pub message: String,
    /// Byte offset of the CSV record the error is about, as the CSV reader gives it. Its line count is
    /// not the record's line when line ends are `\r\n` (it stops between `\r` and `\n`) or blank lines
    /// come before the record, so [`FeedError::locate`] recounts it from the text.
    record_offset: Option<u64>,
}

impl FeedError {
    fn new(path: &Path, line: Option<u64>, message: impl Into<String>) -> Self {
        FeedError {
            path: path.to_path_buf(),
            line,
            message: message.into(),
            record_offset: None,
        }
    }

    /// `line` made the line of the record the error is about, counted in `text` (the file's content):
    /// the record starts at the first byte from the reader's offset that is not a line end.
    fn locate(mut self, text: &[u8]) -> Self {
        if let Some(offset) = self.record_offset.and_then(|o| usize::try_from(o).ok()) {
            let start = offset
                + text
                    .get(offset..)
                    .map_or(0, |rest| rest.iter().take_while(|b| matches!(b, b'\r' | b'\n')).count());
            let before = &text[..start.min(text.len())];
            self.line = Some(before.iter().filter(|&&b| b == b'\n').count() as u64 + 1);
        }
        self
    }

    /// [`FeedError::locate`] in the file the error is about (read again: this is the error path, and a
    /// large file is not kept in memory for it).
    fn locate_in_file(self) -> Self {
        match (self.record_offset, std::fs::read(&self.path)) {
            (Some(_), Ok(bytes)) => self.locate(&bytes),
            _ => self,
        }
    }
}

impl FeedData {
    /// Reads a data file (CSV, JSON or JSON Lines, by extension).
    ///
    /// # Errors
    /// A file that cannot be read, a CSV row with another number of fields than the header, invalid
    /// JSON, a JSON row that is not an object, an unknown extension; each with its line when known.
    pub fn read(path: &Path) -> Result<FeedData, FeedError> {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let size = std::fs::metadata(path)
            .map_err(|e| FeedError::new(path, None, format!("cannot read `{}`: {e}", path.display())))?
            .len();
        if size > MAX_FEED_SIZE {
            return Err(FeedError::new(
                path,
                None,
                format!("`{}` is larger than 4 GiB", path.display()),
            ));
        }
        match ext.as_str() {
            "csv" => {
                let file = std::fs::File::open(path)
                    .map_err(|e| FeedError::new(path, None, format!("cannot read `{}`: {e}", path.display())))?;
                read_csv(path, std::io::BufReader::with_capacity(1 << 16, file), size)
                    .and_then(|(data, last)| {
                        let tail = read_tail(path, last)?;
                        closed_quotes(path, &tail, last).map(|()| data)
                    })
                    .map_err(FeedError::locate_in_file)
            }
            "json" | "jsonl" | "ndjson" => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| FeedError::new(path, None, format!("cannot read `{}`: {e}", path.display())))?;
                if ext == "json" {
                    read_json(path, &text)
                } else {
                    read_json_lines(path, &text)
                }
            }
            _ => Err(FeedError::new(
                path,
                None,
                format!(
                    "`{}` is not a data file stressor reads: use .csv (with a header row), .json (an array of objects) or .jsonl",
                    path.display()
                ),
            )),
        }
    }

    /// Rows parsed from CSV text (for `$load(x.csv)` and tests).
    ///
    /// # Errors
    /// As [`FeedData::read`].
    pub fn from_csv(path: &Path, text: &str) -> Result<FeedData, FeedError> {
        read_csv(path, text.as_bytes(), text.len() as u64)
            .and_then(|(data, last)| {
                let tail = text
                    .as_bytes()
                    .get(usize::try_from(last).unwrap_or(usize::MAX)..)
                    .unwrap_or_default();
                closed_quotes(path, tail, last).map(|()| data)
            })
            .map_err(|e| e.locate(text.as_bytes()))
    }

    /// No rows, but these columns (what a generated feeder's rows have).
    pub fn columns_only(columns: Vec<String>) -> FeedData {
        FeedData {
            columns,
            rows: Rows::Objects(Vec::new()),
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        match &self.rows {
            Rows::Table { ends, .. } => ends.len().checked_div(self.columns.len()).unwrap_or(0),
            Rows::Objects(rows) => rows.len(),
        }
    }

    /// Whether there is no row.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The column names: the CSV header, or every key of the JSON rows in order of first appearance.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Row `i` as a mapping (CSV values are strings); `None` past the end.
    pub fn row(&self, i: usize) -> Option<Value> {
        match &self.rows {
            Rows::Objects(rows) => rows.get(i).map(|r| Value::Object(r.clone())),
            Rows::Table { text, ends } => {
                let width = self.columns.len();
                let fields = ends.get(i * width..(i + 1) * width)?;
                let mut start = if i == 0 { 0 } else { ends[i * width - 1] as usize };
                let mut row = Map::with_capacity(width);
                for (name, &end) in self.columns.iter().zip(fields) {
                    let end = end as usize;
                    row.insert(name.clone(), Value::String(text[start..end].to_string()));
                    start = end;
                }
                Some(Value::Object(row))
            }
        }
    }

    /// Every row, as a list of mappings (what `$load(x.csv)` gives).
    pub fn to_list(&self) -> Vec<Value> {
        (0..self.len()).filter_map(|i| self.row(i)).collect()
    }
}

/// The rows of a CSV file, and the byte offset where its last record (or the header) starts.
fn read_csv(path: &Path, input: impl std::io::Read, size: u64) -> Result<(FeedData, u64), FeedError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(input);
    let csv_error = |e: csv::Error| {
        let line = e.position().map(csv::Position::line);
        let record_offset = e.position().map(csv::Position::byte);
        let message = match e.kind() {
            csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                format!("this row has {len} field(s), the header has {expected_len}")
            }
            csv::ErrorKind::Utf8 { .. } => "this row is not UTF-8 text".to_string(),
            _ => format!("invalid CSV: {e}"),
        };
        FeedError {
            record_offset,
            ..FeedError::new(path, line, message)
        }
    };
    let columns: Vec<String> = reader
        .headers()
        .map_err(csv_error)?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if columns.iter().all(String::is_empty) {
        return Err(FeedError::new(
            path,
            Some(1),
            "the first row must name the columns (a header row)",
        ));
    }
    if let Some(i) = columns.iter().position(String::is_empty) {
        return Err(FeedError::new(path, Some(1), format!("column {} has no name", i + 1)));
    }
    if let Some(dup) = columns.iter().enumerate().find(|(i, c)| columns[..*i].contains(c)) {
        return Err(FeedError::new(
            path,
            Some(1),
            format!("column `{}` is named twice", dup.1),
        ));
    }
    let mut text = String::with_capacity(usize::try_from(size).unwrap_or(0));
    let mut ends: Vec<u32> = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut last = 0;
    while reader.read_record(&mut record).map_err(csv_error)? {
        last = record.position().map_or(last, csv::Position::byte);
        for field in record.iter() {
            text.push_str(field);
            ends.push(
                u32::try_from(text.len())
                    .map_err(|_| FeedError::new(path, None, "the data is larger than 4 GiB".to_string()))?,
            );
        }
    }
    text.shrink_to_fit();
    ends.shrink_to_fit();
    let data = FeedData {
        columns,
        rows: Rows::Table { text, ends },
    };
    Ok((data, last))
}

/// The file's bytes from `offset` on (its last record: only that one can hold an unclosed quote, as such
/// a quote swallows the rest of the file).
fn read_tail(path: &Path, offset: u64) -> Result<Vec<u8>, FeedError> {
    use std::io::{Read, Seek, SeekFrom};
    let cannot = |e: std::io::Error| FeedError::new(path, None, format!("cannot read `{}`: {e}", path.display()));
    let mut file = std::fs::File::open(path).map_err(cannot)?;
    file.seek(SeekFrom::Start(offset)).map_err(cannot)?;
    let mut tail = Vec::new();
    file.read_to_end(&mut tail).map_err(cannot)?;
    Ok(tail)
}

/// An error at the quote that opens a field and is never closed, in the last record (`tail`, which
/// starts at byte `offset` of the file). The CSV reader takes the end of the file as the end of such
/// a field, so `u1,"p1` followed by more rows would load as one row whose last field swallowed them.
/// The rules are the reader's (RFC 4180): a `"` opens a quoted field only at the field's start, and
/// `""` inside one is a quote.
fn closed_quotes(path: &Path, tail: &[u8], offset: u64) -> Result<(), FeedError> {
    let (mut at_start, mut open) = (true, None);
    let mut i = 0;
    while i < tail.len() {
        let b = tail[i];
        match open {
            Some(_) if b == b'"' && tail.get(i + 1) == Some(&b'"') => i += 1,
            Some(_) if b == b'"' => open = None,
            Some(_) => {}
            None if b == b'"' && at_start => open = Some(i),
            None => {}
        }
        at_start = open.is_none() && matches!(b, b',' | b'\n' | b'\r');
        i += 1;
    }
    match open {
        None => Ok(()),
        Some(at) => Err(FeedError {
            record_offset: Some(offset + at as u64),
            ..FeedError::new(
                path,
                None,
                "this quoted field is never closed: a `\"` is missing, and the rest of the file would be one field",
            )
        }),
    }
}

fn read_json(path: &Path, text: &str) -> Result<FeedData, FeedError> {
    let values: Vec<Value> = serde_json::from_str(text).map_err(|e| {
        let message = if e.is_data() {
            "the file must hold a JSON array of objects".to_string()
        } else {
            format!("invalid JSON: {e}")
        };
        FeedError::new(path, Some(e.line() as u64), strip_position(&message))
    })?;
    objects(path, values.into_iter().map(|v| (None, v)))
}

fn read_json_lines(path: &Path, text: &str) -> Result<FeedData, FeedError> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let line_no = i as u64 + 1;
        let value: Value = serde_json::from_str(line)
            .map_err(|e| FeedError::new(path, Some(line_no), strip_position(&format!("invalid JSON: {e}"))))?;
        rows.push((Some(line_no), value));
    }
    objects(path, rows.into_iter())
}

/// The rows of JSON values, each of which must be an object.
fn objects(path: &Path, values: impl Iterator<Item = (Option<u64>, Value)>) -> Result<FeedData, FeedError> {
    let mut columns: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    for (i, (line, value)) in values.enumerate() {
        let Value::Object(row) = value else {
            return Err(FeedError::new(
                path,
                line,
                format!("row {} is {}, not an object", i + 1, crate::expand::type_name(&value)),
            ));
        };
        for key in row.keys() {
            if !columns.contains(key) {
                columns.push(key.clone());
            }
        }
        rows.push(row);
    }
    Ok(FeedData {
        columns,
        rows: Rows::Objects(rows),
    })
}

/// serde_json's message without its trailing ` at line L column C` (the diagnostic shows the place).
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_are_mappings_of_their_header() {
        let data = FeedData::from_csv(
            Path::new("a.csv"),
            "username,password\nann,\"se,cret\"\nbob,\"say \"\"hi\"\"\"\n",
        )
        .unwrap();
        assert_eq!(data.len(), 2);
        assert_eq!(data.columns(), ["username", "password"]);
        assert_eq!(
            data.row(0).unwrap(),
            serde_json::json!({"username": "ann", "password": "se,cret"})
        );
        assert_eq!(data.row(1).unwrap()["password"], "say \"hi\"");
        assert_eq!(data.row(2), None);
    }

    #[test]
    fn problems_name_the_line_of_the_data_file() {
        let err = FeedData::from_csv(Path::new("a.csv"), "a,b\n1,2\n3\n").unwrap_err();
        assert_eq!(
            (err.line, err.message.as_str()),
            (Some(3), "this row has 1 field(s), the header has 2")
        );
        // Line ends `\r\n` (spreadsheet exports) and blank lines before the row do not shift the line.
        for (text, line) in [
            ("a,b\r\n1,2\r\n3\r\n", 3),
            ("a,b\r\n1,2\r\n\r\n\r\n3\r\n", 5),
            ("a,b\n1,2\n\n3\n", 4),
        ] {
            let err = FeedData::from_csv(Path::new("a.csv"), text).unwrap_err();
            assert_eq!(err.line, Some(line), "{text:?}");
        }
        let err = FeedData::from_csv(Path::new("a.csv"), "a,a\n1,2\n").unwrap_err();
        assert_eq!(err.message, "column `a` is named twice");
        let err = read_json(Path::new("a.json"), "[{\"a\": 1},\n {\"a\": }]").unwrap_err();
        assert_eq!(
            (err.line, err.message.as_str()),
            (Some(2), "invalid JSON: expected value")
        );
        let err = read_json_lines(Path::new("a.jsonl"), "{\"a\": 1}\n[1]\n").unwrap_err();
        assert_eq!(
            (err.line, err.message.as_str()),
            (Some(2), "row 2 is a list, not an object")
        );
    }

    #[test]
    fn an_unclosed_quote_is_an_error_where_the_field_opened() {
        // Issue 27: this loaded as one row whose password swallowed the three rows after it.
        for (text, line) in [
            ("username,password\nu1,\"p1\nu2,p2\nu3,p3\nu4,p4\n", 2),
            ("username,password\r\nu0,p0\r\nu1,\"p1\r\nu2,p2\r\n", 3),
            ("username,password\nu0,\"a \"\"b\"\" c\nu1,x\n", 2),
        ] {
            let err = FeedData::from_csv(Path::new("a.csv"), text).unwrap_err();
            assert_eq!(err.line, Some(line), "{text:?}");
            assert!(
                err.message.starts_with("this quoted field is never closed"),
                "{}",
                err.message
            );
        }
        // Closed quotes, doubled quotes, line ends inside quotes and quotes inside unquoted fields are fine.
        let ok = "a,b\n\"x,1\",\"say \"\"hi\"\"\"\n\"multi\nline\",2\nit's,5\"\n";
        let data = FeedData::from_csv(Path::new("a.csv"), ok).unwrap();
        assert_eq!(data.len(), 3);
        assert_eq!(data.row(1).unwrap()["a"], "multi\nline");
    }

    #[test]
    fn a_row_that_is_not_utf8_is_an_error_at_its_line() {
        let dir = std::env::temp_dir().join(format!("stressor-feeder-utf8-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.csv");
        std::fs::write(&path, b"username,password\nann,x\nbob,\xff\xfe\ncid,y\n").unwrap();
        let err = FeedData::read(&path).unwrap_err();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(
            (err.line, err.message.as_str()),
            (Some(3), "this row is not UTF-8 text")
        );
    }
}

//! Source files and spans: every node of a scenario remembers the file, line and column it came from, so
//! that any later problem (at load time or at run time) can point at the exact token.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize, serde::Deserialize)]
pub struct FileId(pub u32);

/// A position in a source file: 1-based line and column (in characters), the byte offset and a length
/// in bytes used to draw carets under the offending token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize, serde::Deserialize)]
pub struct Span {
    /// The file the span points into.
    pub file: FileId,
    /// 1-based line number.
    pub line: u32,
    /// 1-based column number, counted in characters.
    pub col: u32,
    /// Byte offset of the start in the file text.
    pub offset: usize,
    /// Length in bytes (at least 1 when rendered).
    pub len: usize,
}

/// One loaded file: its path as shown to the user and its full text.
#[derive(Debug)]
pub struct SourceFile {
    /// Path as given or derived (relative paths stay relative, so messages match what the user typed).
    pub path: PathBuf,
    /// The complete text.
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    fn new(path: PathBuf, text: String) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile {
            path,
            text,
            line_starts,
        }
    }

    /// The text of a 1-based line, without its line terminator; empty when out of range.
    pub fn line_text(&self, line: u32) -> &str {
        let Some(&start) = self.line_starts.get((line as usize).wrapping_sub(1)) else {
            return "";
        };
        let end = self.line_starts.get(line as usize).copied().unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }

    /// Byte offset of a 1-based (line, character column) position, clamped to the line.
    pub fn offset_of(&self, line: u32, col: u32) -> usize {
        let Some(&start) = self.line_starts.get((line as usize).wrapping_sub(1)) else {
            return self.text.len();
        };
        let text = self.line_text(line);
        let within = text
            .char_indices()
            .nth((col as usize).saturating_sub(1))
            .map_or(text.len(), |(i, _)| i);
        start + within
    }

    /// Converts a byte offset into a 1-based (line, character column) position.
    pub fn position_of(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.text.len());
        let line_idx = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line_idx];
        let col = self.text.get(start..offset).map_or(1, |s| s.chars().count() + 1);
        (line_idx as u32 + 1, col as u32)
    }

    /// A span at a byte offset of this file.
    pub fn span_at(&self, file: FileId, offset: usize, len: usize) -> Span {
        let (line, col) = self.position_of(offset);
        Span {
            file,
            line,
            col,
            offset,
            len,
        }
    }
}

/// All files that took part in loading one scenario: the main file, every `$load`ed file and the
/// pseudo-files that hold `-o` overrides.
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    files: Vec<Arc<SourceFile>>,
}

impl SourceMap {
    /// Adds a file and returns its id.
    pub fn add(&mut self, path: impl Into<PathBuf>, text: impl Into<String>) -> FileId {
        self.files.push(Arc::new(SourceFile::new(path.into(), text.into())));
        FileId(self.files.len() as u32 - 1)
    }

    /// The file behind an id.
    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize).map(|f| &**f)
    }

    /// The path of a file (empty when the id is unknown).
    pub fn path(&self, id: FileId) -> &Path {
        self.get(id).map_or(Path::new(""), |f| &f.path)
    }

    /// Finds an already loaded file by path.
    pub fn find(&self, path: &Path) -> Option<FileId> {
        self.files.iter().position(|f| f.path == path).map(|i| FileId(i as u32))
    }
}

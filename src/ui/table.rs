//! The one table widget every list draws with (processes, services and
//! their results, runs, NATS servers/streams/consumers, connections).
//!
//! A table is its columns, each with a header, a width rule, a priority and
//! a function from a row to its cell (bottom's `DataToCell`), plus how the
//! table narrows ([`Fit`]). It draws through ratatui's `Table`, keeps the
//! selected row on screen by scrolling as little as it can, and highlights
//! it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::widgets::{Block, Cell, Row, TableState};
use std::cmp::Reverse;

/// How wide a column is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Width {
    /// Exactly this many cells.
    Fixed(u16),
    /// At least this many; takes what the fixed columns leave.
    Min(u16),
}

impl Width {
    fn least(self) -> u16 {
        match self {
            Width::Fixed(n) | Width::Min(n) => n,
        }
    }

    fn constraint(self) -> Constraint {
        match self {
            Width::Fixed(n) => Constraint::Length(n),
            Width::Min(n) => Constraint::Min(n),
        }
    }
}

/// Where a column's header sits in its width (cells come aligned from
/// their column's function).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Align {
    #[default]
    Left,
    Right,
}

/// Which columns a table keeps when its width is short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fit {
    /// Every column, whatever the width.
    All,
    /// Columns in priority order (the left one first among equals), each
    /// kept while its width and a space fit in the table's width plus
    /// `spare`; at least `least` columns are kept.
    Greedy { spare: u16, least: usize },
    /// Below `width` cells only the columns of at least `priority`.
    Below { width: u16, priority: u8 },
}

/// A row's cell for one column.
pub(crate) type CellFn<'a, R> = Box<dyn Fn(&R) -> Cell<'static> + 'a>;

/// A row's style, from the row.
type StyleFn<'a, R> = Box<dyn Fn(&R) -> Style + 'a>;

/// One column: header, width rule, priority (higher stays longer), and
/// its cell for each row.
pub(crate) struct Column<'a, R> {
    head: String,
    width: Width,
    priority: u8,
    align: Align,
    cell: CellFn<'a, R>,
}

impl<'a, R> Column<'a, R> {
    pub(crate) fn new(head: impl Into<String>, width: Width, cell: impl Fn(&R) -> Cell<'static> + 'a) -> Self {
        Column {
            head: head.into(),
            width,
            priority: 0,
            align: Align::Left,
            cell: Box::new(cell),
        }
    }

    pub(crate) fn priority(mut self, priority: u8) -> Self {
        self.priority = priority;
        self
    }

    pub(crate) fn align(mut self, align: Align) -> Self {
        self.align = align;
        self
    }

    fn header(&self) -> String {
        match (self.align, self.width) {
            (Align::Right, Width::Fixed(w)) => format!("{:>w$}", self.head, w = usize::from(w)),
            _ => self.head.clone(),
        }
    }
}

/// The indices of the columns `fit` keeps in `width` cells, left to right.
pub(crate) fn shown(priorities: &[(u8, Width)], fit: Fit, width: u16) -> Vec<usize> {
    match fit {
        Fit::All => (0..priorities.len()).collect(),
        Fit::Below { width: at, priority } => (0..priorities.len())
            .filter(|&i| width >= at || priorities[i].0 >= priority)
            .collect(),
        Fit::Greedy { spare, least } => {
            let mut by_priority: Vec<usize> = (0..priorities.len()).collect();
            by_priority.sort_by_key(|&i| (Reverse(priorities[i].0), i));
            let room = u32::from(width) + u32::from(spare);
            let mut used = 0u32;
            let mut out = Vec::with_capacity(priorities.len());
            for i in by_priority {
                let w = u32::from(priorities[i].1.least()) + 1;
                if used + w <= room || out.len() < least {
                    used += w;
                    out.push(i);
                }
            }
            out.sort_unstable();
            out
        }
    }
}

/// A table of rows of type `R`.
pub(crate) struct Table<'a, R> {
    columns: Vec<Column<'a, R>>,
    fit: Fit,
    header_style: Style,
    highlight: Style,
    row_style: Option<StyleFn<'a, R>>,
    block: Block<'a>,
}

impl<'a, R> Table<'a, R> {
    pub(crate) fn new(columns: Vec<Column<'a, R>>, header_style: Style, highlight: Style) -> Self {
        Table {
            columns,
            fit: Fit::All,
            header_style,
            highlight,
            row_style: None,
            block: Block::default(),
        }
    }

    pub(crate) fn fit(mut self, fit: Fit) -> Self {
        self.fit = fit;
        self
    }

    pub(crate) fn block(mut self, block: Block<'a>) -> Self {
        self.block = block;
        self
    }

    /// A style for a whole row, from the row.
    pub(crate) fn row_style(mut self, style: impl Fn(&R) -> Style + 'a) -> Self {
        self.row_style = Some(Box::new(style));
        self
    }

    /// Draws `rows` into `area` with row `selected` (clamped to the last)
    /// highlighted and on screen.
    pub(crate) fn render(self, frame: &mut Frame, area: Rect, rows: &[R], selected: usize) {
        let widths: Vec<(u8, Width)> = self.columns.iter().map(|c| (c.priority, c.width)).collect();
        let shown = shown(&widths, self.fit, area.width);
        let cols: Vec<&Column<R>> = shown.iter().map(|&i| &self.columns[i]).collect();
        let header = Row::new(cols.iter().map(|c| c.header()).collect::<Vec<_>>()).style(self.header_style);
        let body: Vec<Row> = rows
            .iter()
            .map(|r| {
                let row = Row::new(cols.iter().map(|c| (c.cell)(r)).collect::<Vec<_>>());
                match &self.row_style {
                    Some(f) => row.style(f(r)),
                    None => row,
                }
            })
            .collect();
        let constraints: Vec<Constraint> = cols.iter().map(|c| c.width.constraint()).collect();
        // Data rows on screen: the block's inside less the header.
        let visible = usize::from(self.block.inner(area).height.saturating_sub(1)).max(1);
        let table = ratatui::widgets::Table::new(body, constraints)
            .header(header)
            .row_highlight_style(self.highlight)
            .block(self.block);
        let mut state = TableState::default();
        if !rows.is_empty() {
            let sel = selected.min(rows.len() - 1);
            state = state
                .with_selected(Some(sel))
                .with_offset(sel.saturating_sub(visible - 1));
        }
        frame.render_stateful_widget(table, area, &mut state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greedy_keeps_the_columns_of_highest_priority_that_fit() {
        let cols = [(9, Width::Min(14)), (5, Width::Fixed(8)), (7, Width::Fixed(6))];
        let fit = Fit::Greedy { spare: 1, least: 1 };
        assert_eq!(shown(&cols, fit, 30), vec![0, 1, 2]);
        assert_eq!(shown(&cols, fit, 28), vec![0, 2], "the lower priority goes first");
        assert_eq!(shown(&cols, fit, 20), vec![0]);
        assert_eq!(shown(&cols, fit, 5), vec![0], "at least one");
    }

    #[test]
    fn below_a_width_only_high_priorities_stay() {
        let cols = [(2, Width::Fixed(1)), (1, Width::Fixed(9)), (2, Width::Min(10))];
        let fit = Fit::Below { width: 60, priority: 2 };
        assert_eq!(shown(&cols, fit, 60), vec![0, 1, 2]);
        assert_eq!(shown(&cols, fit, 59), vec![0, 2]);
        assert_eq!(shown(&cols, Fit::All, 1), vec![0, 1, 2]);
    }
}

//! Where the Fleet grid's tiles go: which rows of the grid are on screen,
//! and how high each tile in a column is. Pure arithmetic on heights.
//!
//! Host `i` sits in column `i % cols`, row `i / cols`; a column is a stack
//! of tiles each as high as its content wants (compact ones stay short), so
//! the tile under a short one moves up instead of the row padding it.

/// How high a tile may be, borders included: never below `min`, never
/// above `max` (its whole content).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Want {
    pub(crate) min: u16,
    pub(crate) max: u16,
}

/// The rows `first..=last` on screen: the selected row, as many rows before
/// it as fit (so the grid scrolls no further than it must), then as many
/// after it as fit. A set of rows fits when every column's tiles in it fit
/// in `height` at their least heights. Looks only at rows near the
/// selected one, so a fleet of thousands costs what a screenful does.
pub(crate) fn window(n: usize, cols: usize, sel_row: usize, height: u16, min: &dyn Fn(usize) -> u16) -> (usize, usize) {
    let cols = cols.max(1);
    let rows = n.div_ceil(cols);
    let fits = |a: usize, b: usize| {
        (0..cols).all(|c| {
            let sum: u32 = (a..=b)
                .map(|r| r * cols + c)
                .filter(|&i| i < n)
                .map(|i| u32::from(min(i)))
                .sum();
            sum <= u32::from(height)
        })
    };
    let sel_row = sel_row.min(rows.saturating_sub(1));
    let mut first = sel_row;
    while first > 0 && fits(first - 1, sel_row) {
        first -= 1;
    }
    let mut last = sel_row;
    while last + 1 < rows && fits(first, last + 1) {
        last += 1;
    }
    (first, last)
}

/// The heights of one column's tiles in `height` lines: each its least,
/// then the lines left over handed out one at a time, round the column,
/// to the tiles that have more to show. Never more than a tile's `max`:
/// what no tile can use stays blank below the column.
pub(crate) fn fill(wants: &[Want], height: u16) -> Vec<u16> {
    let mut h: Vec<u16> = wants.iter().map(|w| w.min.min(w.max)).collect();
    let used: u32 = h.iter().map(|&x| u32::from(x)).sum();
    let mut spare = u32::from(height).saturating_sub(used);
    while spare > 0 {
        let mut grew = false;
        for (k, w) in wants.iter().enumerate() {
            if spare > 0 && h[k] < w.max {
                h[k] += 1;
                spare -= 1;
                grew = true;
            }
        }
        if !grew {
            break;
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(min: u16, max: u16) -> Want {
        Want { min, max }
    }

    #[test]
    fn spare_lines_go_to_the_tiles_with_more_to_show() {
        // A compact tile keeps its height; the two others share the rest.
        assert_eq!(fill(&[w(3, 3), w(6, 40), w(6, 40)], 27), vec![3, 12, 12]);
        // Odd lines go to the first tiles.
        assert_eq!(fill(&[w(6, 40), w(6, 40)], 27), vec![14, 13]);
        // No tile grows past its content: the rest stays blank.
        assert_eq!(fill(&[w(6, 8), w(6, 9)], 27), vec![8, 9]);
        // Too little room: each keeps its least (the caller clips).
        assert_eq!(fill(&[w(6, 20), w(6, 20)], 8), vec![6, 6]);
        assert_eq!(fill(&[], 27), Vec::<u16>::new());
    }

    #[test]
    fn the_window_holds_the_selected_row_and_fills_the_height() {
        let six = |_: usize| 6;
        // 9 hosts in 3 columns, 27 lines: all three rows.
        assert_eq!(window(9, 3, 0, 27, &six), (0, 2));
        // 300 hosts: four rows of 6 fit in 27.
        assert_eq!(window(300, 3, 0, 27, &six), (0, 3));
        // Selecting row 50 scrolls just far enough.
        assert_eq!(window(300, 3, 50, 27, &six), (47, 50));
        // The last row, with one host in it.
        assert_eq!(window(298, 3, 99, 27, &six), (96, 99));
        // Too small for even one row: the selected row alone.
        assert_eq!(window(10, 1, 4, 4, &six), (4, 4));
        // A column of short tiles fits more rows than one of tall ones.
        let mixed = |i: usize| if i.is_multiple_of(2) { 3 } else { 6 };
        assert_eq!(window(20, 2, 0, 27, &mixed), (0, 3));
        assert_eq!(window(0, 3, 0, 27, &six), (0, 0));
    }

    #[test]
    fn a_huge_fleet_costs_a_screenful() {
        let asked = std::cell::Cell::new(0usize);
        let six = |_: usize| {
            asked.set(asked.get() + 1);
            6
        };
        assert_eq!(window(1_000_000, 3, 200_000, 27, &six), (199_997, 200_000));
        assert!(asked.get() < 200, "asked about {} tiles", asked.get());
    }
}

"use client";

import {
  type DisplayColumnDef,
  type ReactTable,
  type RowData,
  rowSelectionFeature,
  rowSortingFeature,
  type SortingState,
  tableFeatures,
} from "@tanstack/react-table";
import { Fragment, type ReactNode } from "react";

/**
 * The lists' table kit on TanStack Table v9: the table holds the sort and the
 * selection, the server does the sorting, filtering and paging (manualSorting:
 * Table reorders nothing, the rows come sorted), and this renders the markup:
 * sortable headers as buttons with aria-sort, a checkbox per row for bulk
 * actions. One set of features for every list, kept at module scope (v9
 * wants it stable).
 */
export const listFeatures = tableFeatures({ rowSortingFeature, rowSelectionFeature });
export type ListFeatures = typeof listFeatures;

/** One server sort: the column id as the server's `sort` name, and its direction. */
export function serverOrder(sorting: SortingState): { sort?: string; direction?: "asc" | "desc" } {
  const first = sorting[0];
  return first ? { sort: first.id, direction: first.desc ? "desc" : "asc" } : {};
}

function ariaSort(sorted: false | "asc" | "desc"): "ascending" | "descending" | "none" {
  return sorted === "asc" ? "ascending" : sorted === "desc" ? "descending" : "none";
}

export function DataTable<TData extends RowData>({
  table,
  label,
  empty,
  rowTestId,
  rowClassName,
  detail,
}: {
  table: ReactTable<ListFeatures, TData>;
  /** The table's accessible name. */
  label: string;
  /** Shown instead of rows when there are none. */
  empty?: ReactNode;
  rowTestId?: string;
  rowClassName?: (row: TData) => string | undefined;
  /** A row's detail, when open: a full-width row right under it (the audit log's entry view). */
  detail?: (row: TData) => ReactNode;
}) {
  const rows = table.getRowModel().rows;
  return (
    <div className="overflow-x-auto">
      <table aria-label={label} className="min-w-full divide-y divide-slate-200 text-sm">
        <thead>
          {table.getHeaderGroups().map((group) => (
            <tr key={group.id}>
              {group.headers.map((header) => {
                const sorted = header.column.getIsSorted();
                const canSort = header.column.getCanSort();
                return (
                  <th
                    key={header.id}
                    scope="col"
                    aria-sort={canSort ? ariaSort(sorted) : undefined}
                    className="px-3 py-2 text-left text-xs font-semibold uppercase tracking-wide text-slate-500"
                  >
                    {header.isPlaceholder ? null : canSort ? (
                      <button
                        type="button"
                        onClick={header.column.getToggleSortingHandler()}
                        className="inline-flex items-center gap-1 uppercase hover:text-slate-800 focus-visible:outline-2 focus-visible:outline-brand-500"
                      >
                        <table.FlexRender header={header} />
                        <span aria-hidden="true">{sorted === "asc" ? "▲" : sorted === "desc" ? "▼" : "↕"}</span>
                      </button>
                    ) : (
                      <table.FlexRender header={header} />
                    )}
                  </th>
                );
              })}
            </tr>
          ))}
        </thead>
        <tbody className="divide-y divide-slate-100">
          {rows.map((row) => {
            const cells = row.getAllCells();
            const more = detail?.(row.original);
            return (
              <Fragment key={row.id}>
                <tr
                  data-testid={rowTestId}
                  aria-selected={row.getIsSelected() || undefined}
                  className={rowClassName?.(row.original)}
                >
                  {cells.map((cell) => (
                    <td key={cell.id} className="px-3 py-2">
                      <table.FlexRender cell={cell} />
                    </td>
                  ))}
                </tr>
                {more ? (
                  <tr>
                    <td colSpan={cells.length} className="bg-slate-50 px-3 py-3">
                      {more}
                    </td>
                  </tr>
                ) : null}
              </Fragment>
            );
          })}
        </tbody>
      </table>
      {rows.length === 0 ? empty : null}
    </div>
  );
}

/** A selection checkbox: per row, or (indeterminate when some are ticked) for the whole page. */
export function SelectBox({
  label,
  checked,
  indeterminate = false,
  onChange,
}: {
  label: string;
  checked: boolean;
  indeterminate?: boolean;
  onChange: (event: unknown) => void;
}) {
  return (
    <input
      type="checkbox"
      aria-label={label}
      checked={checked}
      ref={(el) => {
        if (el) el.indeterminate = indeterminate;
      }}
      onChange={onChange}
    />
  );
}

/**
 * The selection column of a list with bulk actions: a checkbox in the header
 * for every row of the page (indeterminate when some are ticked) and one per
 * row that can be selected (`enableRowSelection` decides which; the others get
 * none). Labels name what is ticked, for screen readers and tests.
 */
export function selectColumn<TData extends RowData>(labels: {
  /** The header checkbox, e.g. "Select every user on this page". */
  page: string;
  /** A row's checkbox, e.g. (u) => `Select ${u.email}`. */
  row: (item: TData) => string;
}): DisplayColumnDef<ListFeatures, TData> {
  return {
    id: "select",
    enableSorting: false,
    header: ({ table }) => (
      <SelectBox
        label={labels.page}
        checked={table.getIsAllPageRowsSelected()}
        indeterminate={table.getIsSomePageRowsSelected() && !table.getIsAllPageRowsSelected()}
        onChange={table.getToggleAllPageRowsSelectedHandler()}
      />
    ),
    cell: ({ row }) =>
      row.getCanSelect() ? (
        <SelectBox
          label={labels.row(row.original)}
          checked={row.getIsSelected()}
          onChange={row.getToggleSelectedHandler()}
        />
      ) : null,
  };
}

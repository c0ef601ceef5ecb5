package io.blobgc.api;

import io.blobgc.ledger.HistoryEntry;

import java.util.List;

/** {@code GET /v1/cycles}: past cycles, newest first. */
public record CyclesPage(List<CycleEntry> cycles) {

    public static CyclesPage from(List<HistoryEntry> entries) {
        return new CyclesPage(entries.stream().map(CycleEntry::from).toList());
    }
}

using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Lethe.Domain.Exports;
using Lethe.Domain.Records;
using Microsoft.VisualBasic.FileIO;

namespace Lethe.Domain.Tests.Exports;

public sealed class ExportPackagerTests
{
    private static readonly ExportHeader Header = new("job_1", new string('a', 64), new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));

    private static async Task<(Dictionary<string, byte[]> Entries, ExportVolumeSummary Summary)> ZipAsync(ExportFormat format, InMemoryExportSource source)
    {
        using var sink = new NonSeekableStream();
        var summary = await ExportPackager.WriteAsync(format, Header, source, sink, new TextDocumentRenderer(), TestContext.Current.CancellationToken);
        using var zip = new ZipArchive(new MemoryStream(sink.ToArray()), ZipArchiveMode.Read);
        var entries = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var entry in zip.Entries)
        {
            using var content = entry.Open();
            using var copy = new MemoryStream();
            content.CopyTo(copy);
            entries[entry.FullName] = copy.ToArray();
        }

        summary.ArchiveBytes.Should().Be(sink.Length);
        return (entries, summary);
    }

    [Fact]
    public async Task The_zip_holds_the_layout_of_the_API_with_every_record_and_its_fields()
    {
        var (entries, summary) = await ZipAsync(ExportFormat.Zip, InMemoryExportSource.Sample());

        entries.Keys.Should().BeEquivalentTo(
            "records.json", "records/note.csv", "records/transcript.csv", "files/file_1/session-audio.txt", "files/file_2/.._.._etc_passwd",
            "consents.json", "archived.json", "audit.json", "report.pdf", "manifest.json");
        using var records = JsonDocument.Parse(entries["records.json"]);
        records.RootElement.GetArrayLength().Should().Be(3);
        using var archived = JsonDocument.Parse(entries["archived.json"]);
        archived.RootElement[0].GetProperty("id").GetString().Should().Be("rec_old");
        archived.RootElement[0].GetProperty("kind").GetString().Should().Be("record");
        records.RootElement[0].GetProperty("fields").GetProperty("text").GetString().Should().Be("We talked, \"openly\", about\r\nthe move.");
        Encoding.UTF8.GetString(entries["files/file_1/session-audio.txt"]).Should().Be("audio bytes");
        (summary.Records, summary.Files, summary.Consents, summary.AuditEvents).Should().Be((3, 2, 1, 1));
    }

    [Fact]
    public async Task Every_manifest_entry_names_the_size_and_SHA256_of_the_bytes_in_the_archive()
    {
        var (entries, _) = await ZipAsync(ExportFormat.Zip, InMemoryExportSource.Sample());

        using var manifest = JsonDocument.Parse(entries["manifest.json"]);
        manifest.RootElement.GetProperty("requestId").GetString().Should().Be("job_1");
        manifest.RootElement.GetProperty("subjectRef").GetString().Should().Be(Header.SubjectRef);
        var listed = manifest.RootElement.GetProperty("entries").EnumerateArray().ToList();
        listed.Select(e => e.GetProperty("path").GetString()).Should().BeEquivalentTo(entries.Keys.Where(k => k != "manifest.json"));
        foreach (var entry in listed)
        {
            var bytes = entries[entry.GetProperty("path").GetString()!];
            entry.GetProperty("size").GetInt64().Should().Be(bytes.Length);
            entry.GetProperty("sha256").GetString().Should().Be(Convert.ToHexStringLower(SHA256.HashData(bytes)));
        }
    }

    [Fact]
    public async Task A_category_CSV_has_the_union_of_its_field_names_and_parses_back_to_the_exact_values()
    {
        var (entries, _) = await ZipAsync(ExportFormat.Zip, InMemoryExportSource.Sample());

        var rows = Parse(entries["records/transcript.csv"]);

        rows[0].Should().Equal("id", "createdAt", "mood", "speaker", "text");
        rows.Should().HaveCount(3);
        rows[1].Should().Equal("rec_1", "2026-11-20T10:00:00.000Z", "", "coach", "We talked, \"openly\", about\r\nthe move.");
        rows[2].Should().Equal("rec_3", "2026-11-20T10:02:00.000Z", "calm", "", "Second session");
        Parse(entries["records/note.csv"])[1][2].Should().Be("'=SUM(A1) stays as written", "a formula cell is neutralised in CSV (records.json keeps it verbatim)");
    }

    [Fact]
    public async Task The_csv_format_is_a_zip_of_csv_files_and_the_readable_report()
    {
        var (entries, summary) = await ZipAsync(ExportFormat.Csv, InMemoryExportSource.Sample());

        entries.Keys.Where(k => k != "report.pdf").Should().OnlyContain(k => k.EndsWith(".csv", StringComparison.Ordinal));
        entries.Keys.Should().Contain("report.pdf");
        entries.Keys.Should().Contain(["records/transcript.csv", "records/note.csv", "consents.csv", "archived.csv", "audit.csv", "files.csv", "manifest.csv"]);
        Parse(entries["archived.csv"]).Should().BeEquivalentTo(new[] { new[] { "id", "kind", "category", "archivedUntil" }, ["rec_old", "record", "transcript", "2027-02-18T10:00:00.000Z"] },
            o => o.WithStrictOrdering());
        Parse(entries["files.csv"]).Skip(1).Select(r => r[2]).Should().Contain(Convert.ToHexStringLower(SHA256.HashData("audio bytes"u8.ToArray())));
        Parse(entries["audit.csv"])[1][4].Should().Be("record.create");
        summary.Records.Should().Be(3);
    }

    [Fact]
    public async Task The_json_format_is_one_document_listing_files_by_path_and_hash_only()
    {
        var source = InMemoryExportSource.Sample();
        using var sink = new NonSeekableStream();

        var summary = await ExportPackager.WriteAsync(ExportFormat.Json, Header, source, sink, reports: null, TestContext.Current.CancellationToken);

        using var document = JsonDocument.Parse(sink.ToArray());
        var root = document.RootElement;
        root.GetProperty("records").GetArrayLength().Should().Be(3);
        root.GetProperty("consents")[0].GetProperty("purpose").GetString().Should().Be("ai-processing");
        root.GetProperty("archived")[0].GetProperty("id").GetString().Should().Be("rec_old", "an archived item is listed by id, its content needs a retrieval");
        root.GetProperty("audit")[0].GetProperty("action").GetString().Should().Be("record.create");
        var file = root.GetProperty("files").EnumerateArray().Single(f => f.GetProperty("path").GetString() == "files/file_1/session-audio.txt");
        file.GetProperty("sha256").GetString().Should().Be(Convert.ToHexStringLower(SHA256.HashData("audio bytes"u8.ToArray())));
        Encoding.UTF8.GetString(sink.ToArray()).Should().NotContain("audio bytes", "file content is not part of the json format");
        summary.Entries[0].Sha256.Should().Be(Convert.ToHexStringLower(SHA256.HashData(sink.ToArray())));
    }

    [Fact]
    public async Task An_empty_subject_still_gets_a_complete_archive_with_a_manifest()
    {
        var (entries, summary) = await ZipAsync(ExportFormat.Zip, new InMemoryExportSource());

        entries.Keys.Should().BeEquivalentTo("records.json", "consents.json", "archived.json", "audit.json", "report.pdf", "manifest.json");
        Encoding.UTF8.GetString(entries["records.json"]).Should().Be("[]");
        Encoding.UTF8.GetString(entries["archived.json"]).Should().Be("[]");
        summary.Records.Should().Be(0);
    }

    [Fact]
    public async Task A_restricted_subject_s_zip_says_so_with_the_ground_and_since_when()
    {
        var source = InMemoryExportSource.Sample();
        source.Restriction = new RestrictionState(true, "accuracy contested", new DateTimeOffset(2026, 11, 21, 9, 0, 0, TimeSpan.Zero), "tenant-admin:ada");

        var (entries, _) = await ZipAsync(ExportFormat.Zip, source);

        using var restriction = JsonDocument.Parse(entries["restriction.json"]);
        restriction.RootElement.GetProperty("restricted").GetBoolean().Should().BeTrue();
        restriction.RootElement.GetProperty("reason").GetString().Should().Be("accuracy contested");
        restriction.RootElement.GetProperty("updatedAt").GetString().Should().Be("2026-11-21T09:00:00.000Z");
        restriction.RootElement.TryGetProperty("updatedBy", out _).Should().BeFalse("who decided is the tenant's business, the audit keeps it");
    }

    [Fact]
    public async Task A_restriction_is_a_csv_row_in_the_csv_format_and_null_in_the_json_document_when_never_set()
    {
        var source = InMemoryExportSource.Sample();
        source.Restriction = new RestrictionState(false, null, new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.Zero), "tenant-admin:ada");
        var (entries, _) = await ZipAsync(ExportFormat.Csv, source);
        using var sink = new NonSeekableStream();

        await ExportPackager.WriteAsync(ExportFormat.Json, Header, InMemoryExportSource.Sample(), sink, reports: null, TestContext.Current.CancellationToken);

        Parse(entries["restriction.csv"]).Should().BeEquivalentTo(new[] { new[] { "restricted", "reason", "updatedAt" }, ["false", "", "2026-11-22T09:00:00.000Z"] },
            o => o.WithStrictOrdering());
        using var document = JsonDocument.Parse(sink.ToArray());
        document.RootElement.GetProperty("restriction").ValueKind.Should().Be(JsonValueKind.Null);
    }

    [Fact]
    public async Task The_report_summarizes_the_volume_with_every_record_s_fields_consents_restriction_and_archived_items()
    {
        var source = InMemoryExportSource.Sample();
        source.Restriction = new RestrictionState(true, "accuracy contested", new DateTimeOffset(2026, 11, 21, 9, 0, 0, TimeSpan.Zero), "tenant-admin:ada");

        var (entries, _) = await ZipAsync(ExportFormat.Zip, source);

        var report = Encoding.UTF8.GetString(entries["report.pdf"]);
        report.Should().Contain("What we hold about you").And.Contain("Request: job_1")
            .And.Contain("transcript: 2 record(s)").And.Contain("note: 1 record(s)")
            .And.Contain("mood: calm").And.Contain("files/file_1/session-audio.txt: recording, 11 bytes")
            .And.Contain("ai-processing: granted since").And.Contain("Ground: accuracy contested")
            .And.Contain("rec_old: record, transcript").And.Contain("1 event(s) of the audit trail");
    }

    [Fact]
    public async Task A_later_volume_s_report_says_where_the_subject_wide_facts_are_instead_of_saying_there_are_none()
    {
        using var sink = new NonSeekableStream();

        await ExportPackager.WriteAsync(ExportFormat.Zip, Header with { Volume = 2, First = false }, new InMemoryExportSource(), sink, new TextDocumentRenderer(), TestContext.Current.CancellationToken);

        using var zip = new ZipArchive(new MemoryStream(sink.ToArray()), ZipArchiveMode.Read);
        using var reader = new StreamReader(zip.GetEntry("report.pdf")!.Open());
        var report = await reader.ReadToEndAsync(TestContext.Current.CancellationToken);
        report.Should().Contain("Volume: 2").And.Contain("Listed in the report of this subject's first volume.")
            .And.NotContain("never been restricted").And.NotContain("None of your items");
    }

    [Fact]
    public async Task The_report_cuts_long_values_and_counts_the_records_it_does_not_show()
    {
        var source = new InMemoryExportSource();
        for (var i = 0; i < ExportReport.MaxRecordsShown + 5; i++)
        {
            source.Records.Add(new ExportRecord($"rec_{i:D4}", "note", new DateTimeOffset(2026, 11, 20, 10, 0, 0, TimeSpan.Zero), new Dictionary<string, string> { ["text"] = new string('x', 1_000) }));
        }

        var (entries, _) = await ZipAsync(ExportFormat.Zip, source);

        var report = Encoding.UTF8.GetString(entries["report.pdf"]);
        report.Should().Contain("note: 105 record(s)").And.NotContain(new string('x', ExportReport.MaxValueLength + 1))
            .And.Contain($"Values longer than {ExportReport.MaxValueLength} characters are cut");
        report.Should().MatchRegex(@"…and \d+ more records in this volume, not shown here\.");
    }

    [Fact]
    public async Task The_pdf_format_is_the_report_alone_listed_in_the_summary()
    {
        using var sink = new NonSeekableStream();

        var summary = await ExportPackager.WriteAsync(ExportFormat.Pdf, Header, InMemoryExportSource.Sample(), sink, new TextDocumentRenderer(), TestContext.Current.CancellationToken);

        var report = Encoding.UTF8.GetString(sink.ToArray());
        report.Should().StartWith("What we hold about you").And.Contain("transcript: 2 record(s)").And.Contain("session-audio.txt: recording");
        summary.Entries.Should().ContainSingle().Which.Path.Should().Be("report.pdf");
        (summary.Records, summary.Files, summary.Consents, summary.AuditEvents).Should().Be((3, 2, 1, 1));
        summary.Entries[0].Sha256.Should().Be(Convert.ToHexStringLower(SHA256.HashData(sink.ToArray())));
    }

    [Fact]
    public async Task Cancellation_stops_the_packager()
    {
        var source = InMemoryExportSource.Sample();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        using var sink = new NonSeekableStream();

        var write = () => ExportPackager.WriteAsync(ExportFormat.Zip, Header, source, sink, new TextDocumentRenderer(), cancelled.Token);

        await write.Should().ThrowAsync<OperationCanceledException>();
    }

    [Theory]
    [InlineData("../../etc/passwd", ".._.._etc_passwd")]
    [InlineData("..", "file")]
    [InlineData("", "file")]
    [InlineData("C:\\evil\\x.txt", "C__evil_x.txt")]
    [InlineData("report\n.pdf", "report_.pdf")]
    [InlineData("notes.txt", "notes.txt")]
    public void A_path_segment_never_leaves_its_folder(string name, string expected) =>
        ExportPaths.Segment(name, "file").Should().Be(expected);

    private static List<string[]> Parse(byte[] csv)
    {
        using var parser = new TextFieldParser(new MemoryStream(csv), Encoding.UTF8) { HasFieldsEnclosedInQuotes = true, TrimWhiteSpace = false };
        parser.SetDelimiters(",");
        var rows = new List<string[]>();
        while (!parser.EndOfData)
        {
            rows.Add(parser.ReadFields()!);
        }

        return rows;
    }

    /// <summary>An S3 multipart upload cannot seek back: neither can the sink the packager is tested with.</summary>
    private sealed class NonSeekableStream : MemoryStream
    {
        public override bool CanSeek => false;
    }
}

using System.IO.Compression;
using System.Text;
using Lethe.Domain.Ingest;

namespace Lethe.Domain.Tests.Ingest;

/// <summary>The local malware scanner of the ingest step: EICAR and the signature list, in plain objects and inside ZIP members, within bounds.</summary>
public sealed class SignatureScannerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly byte[] EicarBytes = SignatureScanner.Eicar.Pattern;

    private static Task<ScanVerdict> ScanAsync(byte[] content, SignatureScanner? scanner = null) =>
        (scanner ?? SignatureScanner.Default).ScanAsync(new MemoryStream(content), Ct);

    private static byte[] Zip(params (string Name, byte[] Content)[] members)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in members)
            {
                using var entry = zip.CreateEntry(name).Open();
                entry.Write(content);
            }
        }

        return buffer.ToArray();
    }

    [Fact]
    public async Task A_plain_transcript_is_clean()
    {
        var verdict = await ScanAsync(Encoding.UTF8.GetBytes("Coach: how was your week?\nClient: better, thanks."));

        verdict.Should().Be(ScanVerdict.Clean);
    }

    [Fact]
    public async Task The_EICAR_test_file_is_infected()
    {
        var verdict = await ScanAsync(EicarBytes);

        (verdict.Outcome, verdict.Signature, verdict.Location).Should().Be((ScanOutcome.Infected, "EICAR-Test-File", "/"));
    }

    [Theory]
    [InlineData(4096)]
    [InlineData(64 * 1024)]
    public async Task A_signature_split_across_two_reads_is_found(int chunk)
    {
        // Text up to 20 bytes before a read's end, then the signature straddling it.
        var content = new byte[chunk - 20].Select(_ => (byte)'a').Concat(EicarBytes).Concat(Encoding.ASCII.GetBytes("tail")).ToArray();

        var verdict = await SignatureScanner.Default.ScanAsync(new TrickleStream(content, chunk), Ct);

        verdict.Outcome.Should().Be(ScanOutcome.Infected);
    }

    [Fact]
    public async Task An_archive_read_one_byte_at_a_time_is_still_opened()
    {
        var zip = Zip(("eicar.txt", EicarBytes));

        var verdict = await SignatureScanner.Default.ScanAsync(new TrickleStream(zip, 1), Ct);

        (verdict.Outcome, verdict.Location).Should().Be((ScanOutcome.Infected, "/eicar.txt"));
    }

    [Fact]
    public async Task A_zip_behind_other_content_is_not_clean()
    {
        var prefixed = Encoding.ASCII.GetBytes("Coach: hello\n").Concat(Zip(("eicar.txt", EicarBytes))).ToArray();

        var verdict = await ScanAsync(prefixed);

        (verdict.Outcome, verdict.Reason).Should().Be((ScanOutcome.Unscannable, "a ZIP archive behind other content"));
    }

    [Fact]
    public async Task A_compressed_format_the_scanner_does_not_open_is_not_clean()
    {
        using var buffer = new MemoryStream();
        await using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        {
            await gzip.WriteAsync(EicarBytes, Ct);
        }

        var verdict = await ScanAsync(buffer.ToArray());

        verdict.Outcome.Should().Be(ScanOutcome.Unscannable);
    }

    [Fact]
    public async Task An_encrypted_member_is_not_clean()
    {
        var zip = Zip(("secret.txt", "ciphertext"u8.ToArray()));
        // Set the "encrypted" bit of the general-purpose flags in the local header (offset 6) and the central directory (offset 8).
        zip[6] |= 1;
        var central = zip.AsSpan().LastIndexOf((ReadOnlySpan<byte>)[0x50, 0x4B, 0x01, 0x02]);
        zip[central + 8] |= 1;

        var verdict = await ScanAsync(zip);

        (verdict.Outcome, verdict.Reason).Should().Be((ScanOutcome.Unscannable, "an encrypted archive member"));
    }

    [Fact]
    public async Task EICAR_inside_a_zip_member_is_found_and_named_by_its_path()
    {
        var verdict = await ScanAsync(Zip(("notes/readme.txt", "hello"u8.ToArray()), ("notes/eicar.com", EicarBytes)));

        (verdict.Outcome, verdict.Location).Should().Be((ScanOutcome.Infected, "/notes/eicar.com"));
    }

    [Fact]
    public async Task EICAR_inside_a_zip_inside_a_zip_is_found()
    {
        var verdict = await ScanAsync(Zip(("inner.zip", Zip(("eicar.txt", EicarBytes)))));

        (verdict.Outcome, verdict.Location).Should().Be((ScanOutcome.Infected, "/inner.zip/eicar.txt"));
    }

    [Fact]
    public async Task Archives_nested_deeper_than_the_limit_are_unscannable_not_clean()
    {
        var nested = Zip(("a.zip", Zip(("b.zip", Zip(("c.txt", "deep"u8.ToArray()))))));

        var verdict = await ScanAsync(nested);

        verdict.Outcome.Should().Be(ScanOutcome.Unscannable);
        verdict.Reason.Should().Contain("nested deeper");
    }

    [Fact]
    public async Task A_zip_bomb_that_expands_beyond_the_ratio_is_unscannable()
    {
        var bomb = Zip(("zeros.bin", new byte[20 * 1024 * 1024]));

        var verdict = await ScanAsync(bomb, new SignatureScanner([SignatureScanner.Eicar], ScanLimits.Default with { MaxExpansionRatio = 100 }));

        bomb.Length.Should().BeLessThan(200 * 1024, "twenty megabytes of zeros compress to almost nothing");
        (verdict.Outcome, verdict.Reason).Should().Be((ScanOutcome.Unscannable, "the archive expands beyond the scan's limits (a ZIP bomb?)"));
    }

    [Fact]
    public async Task An_object_over_the_size_limit_is_unscannable()
    {
        var verdict = await ScanAsync(new byte[2048], new SignatureScanner([SignatureScanner.Eicar], ScanLimits.Default with { MaxBytes = 1024 }));

        (verdict.Outcome, verdict.Reason).Should().Be((ScanOutcome.Unscannable, "larger than 1024 bytes"));
    }

    [Fact]
    public async Task A_damaged_archive_is_unscannable()
    {
        var damaged = Zip(("a.txt", "hello"u8.ToArray()))[..30];

        var verdict = await ScanAsync(damaged);

        verdict.Outcome.Should().Be(ScanOutcome.Unscannable);
        verdict.Reason.Should().Be("a damaged or unsupported archive");
    }

    [Fact]
    public async Task A_signature_of_the_list_is_found_by_its_name()
    {
        var scanner = new SignatureScanner([SignatureScanner.Eicar, new MalwareSignature("Test.Dropper.A", [0xDE, 0xAD, 0xBE, 0xEF, 0x13, 0x37])], ScanLimits.Default);

        var verdict = await ScanAsync([0x00, 0x01, 0xDE, 0xAD, 0xBE, 0xEF, 0x13, 0x37, 0x02], scanner);

        verdict.Signature.Should().Be("Test.Dropper.A");
    }

    /// <summary>A stream that returns at most <paramref name="chunk"/> bytes per read, as a network body does.</summary>
    private sealed class TrickleStream(byte[] content, int chunk) : MemoryStream(content)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
    }
}

using System.Security.Cryptography;
using System.Text.Json;
using Lethe.Domain.Security;
using Lethe.Tests.Integration.Api;
using Lethe.Tests.Integration.Erasure;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Exports;

/// <summary>
/// The readable report (API.md, Requests: every ZIP carries <c>report.pdf</c>; format <c>pdf</c> is that report alone), laid
/// out by the export workflow with PDFsharp and read back with PdfPig.
/// </summary>
public sealed class ExportReportTests(LetheApiFactory api, LocalCloudFixture cloud) : IClassFixture<LetheApiFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_zip_export_carries_a_report_pdf_that_names_the_records_their_fields_and_the_consents_listed_in_its_manifest()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "rpz", timeScale: 1);
        await scenario.SeedAsync("anna", fileVersions: 1);
        var job = await ExportTests.SubmitAndCompleteAsync(scenario, "anna", "zip");
        using var admin = api.ClientWithTokenNoRedirects(scenario.Tenant, Roles.TenantAdmin, "admin-ines");

        var volume = ExportTests.Unzip(await ExportTests.DownloadAsync(admin, scenario.Tenant, job.GetProperty("id").GetString()!, 1));

        var text = PdfText.Text(volume["report.pdf"]);
        text.Should().Contain("What we hold about you").And.Contain("Plain note about anna").And.Contain("ai-processing granted since")
            .And.Contain("transcript 2 record(s)");
        PdfText.Compact(volume["report.pdf"]).Should().Contain(await scenario.SubjectRefAsync("anna"), "a long ref may wrap over two rows");
        using var manifest = JsonDocument.Parse(volume["manifest.json"]);
        var listed = manifest.RootElement.GetProperty("entries").EnumerateArray().Single(e => e.GetProperty("path").GetString() == "report.pdf");
        listed.GetProperty("sha256").GetString().Should().Be(Convert.ToHexStringLower(SHA256.HashData(volume["report.pdf"])));
    }

    [Fact]
    public async Task A_pdf_export_is_the_report_alone_with_every_record_decrypted_and_nothing_of_another_subject()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "rpp", timeScale: 1);
        await scenario.SeedAsync("anna", fileVersions: 1);
        await scenario.SeedAsync("bruno", fileVersions: 1);

        var job = await ExportTests.SubmitAndCompleteAsync(scenario, "anna", "pdf");
        using var admin = api.ClientWithTokenNoRedirects(scenario.Tenant, Roles.TenantAdmin, "admin-ines");
        var pdf = await ExportTests.DownloadAsync(admin, scenario.Tenant, job.GetProperty("id").GetString()!, 1);

        pdf.AsSpan(0, 5).SequenceEqual("%PDF-"u8).Should().BeTrue("the download is the PDF itself");
        job.GetProperty("download").GetProperty("parts").GetInt32().Should().Be(1);
        var text = PdfText.Text(pdf);
        text.Should().Contain("transcript 2 record(s)").And.Contain("note 1 record(s)")
            .And.Contain("Second session of anna").And.Contain("session-audio.txt");
        text.Should().NotContain("bruno");
    }
}

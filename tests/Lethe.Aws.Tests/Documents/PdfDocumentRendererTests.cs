using Lethe.Aws.Documents;
using Lethe.Domain.Documents;
using UglyToad.PdfPig;

namespace Lethe.Aws.Tests.Documents;

public sealed class PdfDocumentRendererTests
{
    /// <summary>The words row by row from the top of each page (a label and its value in another font share a row within a few points).</summary>
    private static string TextOf(byte[] pdf)
    {
        using var document = PdfDocument.Open(pdf);
        return string.Join("\n", document.GetPages().Select(p => string.Join(" ", p.GetWords()
            .GroupBy(w => Math.Round(w.BoundingBox.Bottom / 4))
            .OrderByDescending(row => row.Key)
            .SelectMany(row => row.OrderBy(w => w.BoundingBox.Left))
            .Select(w => w.Text))));
    }

    private static byte[] Render(ReadableDocument document)
    {
        using var sink = new MemoryStream();
        new PdfDocumentRenderer().Render(document, sink);
        return sink.ToArray();
    }

    [Fact]
    public void The_title_headings_labels_and_values_read_back_as_text()
    {
        var pdf = Render(new ReadableDocument("Deletion certificate", "cert_job_1 for request job_1",
        [
            new DocumentSection("What it certifies", [DocumentLine.Pair("counts.itemsErased", "5"), DocumentLine.Paragraph("Every copy is gone.")]),
        ]));

        var text = TextOf(pdf);

        text.Should().Contain("Deletion certificate").And.Contain("cert_job_1").And.Contain("What it certifies")
            .And.Contain("counts.itemsErased").And.Contain("Every copy is gone.").And.Contain("Page 1");
    }

    [Fact]
    public void Machine_text_wider_than_a_row_is_wrapped_and_every_character_kept()
    {
        var base64 = Convert.ToBase64String(Enumerable.Range(0, 600).Select(i => (byte)i).ToArray());

        var text = TextOf(Render(new ReadableDocument("T", "S", [new DocumentSection("Signature", [DocumentLine.Code("Payload (base64)", base64)])])));

        string.Concat(text.Split(' ', '\n').SkipWhile(w => w != "(base64)").Skip(1).TakeWhile(w => w != "Page")).Should().Be(base64);
    }

    [Fact]
    public void A_long_document_breaks_into_numbered_pages()
    {
        var lines = Enumerable.Range(1, 300).Select(i => DocumentLine.Pair($"field {i}", $"value {i}")).ToList();

        using var document = PdfDocument.Open(Render(new ReadableDocument("Report", "volume", [new DocumentSection("Records", lines)])));

        document.NumberOfPages.Should().BeGreaterThan(3);
        document.GetPages().Last().Text.Should().Contain($"Page {document.NumberOfPages}").And.Contain("value 300");
    }

    [Fact]
    public void Text_beyond_latin_and_control_characters_do_not_break_the_layout()
    {
        var text = TextOf(Render(new ReadableDocument("Zürich Ærø", "Łódź", [new DocumentSection("Notes", [DocumentLine.Pair("note", "line one\r\nline\ttwo\u0007")])])));

        text.Should().Contain("Zürich").And.Contain("Łódź").And.Contain("line one").And.Contain("two");
    }

    [Fact]
    public void A_word_wider_than_its_column_followed_by_more_words_is_cut_and_nothing_runs_off_the_page()
    {
        var url = "https://example.com/" + new string('q', 300) + "/end";
        var pdf = Render(new ReadableDocument("T", "S", [new DocumentSection("Links", [DocumentLine.Pair("see " + new string('b', 80) + " also", $"{url} and then more words")])]));

        using var document = PdfDocument.Open(pdf);
        var page = document.GetPage(1);
        page.GetWords().Should().OnlyContain(w => w.BoundingBox.Right <= page.Width - 49, "every row fits its column and the page");
        TextOf(pdf).Count(c => c == 'q').Should().Be(300, "the cut word keeps every character");
    }

    [Fact]
    public async Task Documents_rendered_at_once_do_not_disturb_each_other()
    {
        var renders = Enumerable.Range(0, 8).Select(i => Task.Run(() => TextOf(Render(new ReadableDocument($"Title {i}", "S",
            [new DocumentSection("Records", Enumerable.Range(0, 50).Select(n => DocumentLine.Pair($"field {n}", $"value {i}-{n}")).ToList())]))))).ToList();

        var texts = await Task.WhenAll(renders);

        texts.Select((text, i) => text.Contains($"value {i}-49", StringComparison.Ordinal) && text.Contains($"Title {i}", StringComparison.Ordinal)).Should().OnlyContain(ok => ok);
    }
}

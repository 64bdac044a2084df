using UglyToad.PdfPig;

namespace Lethe.Tests.Integration.Fixtures;

/// <summary>Reads a PDF back as people would: its words in reading order, page by page (PdfPig).</summary>
public static class PdfText
{
    /// <summary>
    /// Every word in visual reading order: page by page, rows from the top (words within a few points of height make one row,
    /// as a label and its value in another font do), each row from the left.
    /// </summary>
    public static IReadOnlyList<string> Words(byte[] pdf)
    {
        using var document = PdfDocument.Open(pdf);
        var words = new List<string>();
        foreach (var page in document.GetPages())
        {
            var rows = new List<List<UglyToad.PdfPig.Content.Word>>();
            foreach (var word in page.GetWords().OrderByDescending(w => w.BoundingBox.Bottom))
            {
                if (rows.Count > 0 && Math.Abs(rows[^1][0].BoundingBox.Bottom - word.BoundingBox.Bottom) <= 3)
                {
                    rows[^1].Add(word);
                }
                else
                {
                    rows.Add([word]);
                }
            }

            words.AddRange(rows.SelectMany(row => row.OrderBy(w => w.BoundingBox.Left)).Select(w => w.Text));
        }

        return words;
    }

    public static string Text(byte[] pdf) => string.Join(' ', Words(pdf));

    /// <summary>The words run together: a long id or hash wrapped over two rows reads whole.</summary>
    public static string Compact(byte[] pdf) => string.Concat(Words(pdf));

    /// <summary>
    /// The machine text printed after <paramref name="labelEnd"/> (wrapped over rows, perhaps over a page break and its "Page N"
    /// footer) up to the next word that is <paramref name="next"/>.
    /// </summary>
    public static string CodeAfter(IReadOnlyList<string> words, string labelEnd, string next)
    {
        var code = new System.Text.StringBuilder();
        var after = words.SkipWhile(w => w != labelEnd).Skip(1).TakeWhile(w => w != next).ToList();
        for (var i = 0; i < after.Count; i++)
        {
            if (after[i] == "Page" && i + 1 < after.Count && int.TryParse(after[i + 1], out _))
            {
                i++;
                continue;
            }

            code.Append(after[i]);
        }

        return code.ToString();
    }
}

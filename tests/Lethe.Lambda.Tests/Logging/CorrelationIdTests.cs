using System.Text;
using Lethe.Lambda.Logging;

namespace Lethe.Lambda.Tests.Logging;

public sealed class CorrelationIdTests
{
    [Theory]
    [InlineData("""{"jobId":"j","correlationId":"c-1"}""", "c-1")]
    [InlineData("""{"nested":{"correlationId":"no"},"correlationId":"top"}""", "top")]
    [InlineData("""{"detail-type":"x","detail":{"correlationId":"from-detail"}}""", "from-detail")]
    [InlineData("""{"jobId":"j"}""", null)]
    [InlineData("""[1,2]""", null)]
    [InlineData("""{"correlationId":42}""", null)]
    [InlineData("not json", null)]
    [InlineData("", null)]
    public void Find_reads_the_top_level_or_detail_correlation_id(string json, string? expected) =>
        CorrelationId.Find(Encoding.UTF8.GetBytes(json)).Should().Be(expected);
}

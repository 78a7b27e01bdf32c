#include "kvm_exitstats/vm_file.hpp"

#include <charconv>
#include <fmt/format.h>
#include <vector>

namespace kvm_exitstats {
namespace {

std::vector<std::string_view> words_of(std::string_view line)
{
    std::vector<std::string_view> words;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && line[i] == ' ')
            ++i;
        const std::size_t start = i;
        while (i < line.size() && line[i] != ' ')
            ++i;
        if (i > start)
            words.push_back(line.substr(start, i - start));
    }
    return words;
}

class Parser {
public:
    explicit Parser(std::string_view text) : text_(text) {}

    VmFile parse()
    {
        VmFile file;
        bool have_total = false, have_buckets = false;
        for (std::string_view line; next_line(line);) {
            const auto w = words_of(line);
            if (line_number_ == 1) {
                if (w.size() != 2 || w[0] != "kvm-exitstats-vm")
                    fail("not a kvm-exitstats VM file (the first line is not \"kvm-exitstats-vm VERSION\")");
                file.version = number<unsigned>(w[1], 10);
                if (file.version == 0 || file.version > vm_file_version)
                    fail(fmt::format("format version {} is not one this kvm-exitstats reads (up to {}): "
                                     "install the kvm-exitstats package of the host's kvm-exitstats-dkms",
                                     file.version, vm_file_version));
                continue;
            }
            if (w.empty())
                continue;
            if (w[0] == "statistics" && w.size() == 2 && (w[1] == "on" || w[1] == "off"))
                file.statistics_on = w[1] == "on";
            else if (w[0] == "numbering" && w.size() == 2 && (w[1] == "vmx" || w[1] == "svm"))
                file.numbering = w[1] == "vmx" ? Numbering::vmx : Numbering::svm;
            else if (w[0] == "tsc_khz" && w.size() == 2)
                file.tsc_khz = number<std::uint32_t>(w[1], 10);
            else if (w[0] == "vcpus" && w.size() == 2)
                file.vcpus = number<unsigned>(w[1], 10);
            else if (w[0] == "total" && w.size() == 3) {
                file.total = counts(w[1], w[2]);
                have_total = true;
            } else if (w[0] == "reason" && w.size() == 4) {
                const auto reason = reason_code(w[1]);
                if (!file.reasons.emplace(reason, counts(w[2], w[3])).second)
                    fail(fmt::format("reason {:#x} appears twice", reason));
            } else if (w[0] == "buckets" && w.size() == 2) {
                if (number<unsigned>(w[1], 10) != Histogram::buckets)
                    fail(fmt::format("{} buckets, where this kvm-exitstats reads {}: install the kvm-exitstats "
                                     "package of the host's kvm-exitstats-dkms",
                                     w[1], Histogram::buckets));
                have_buckets = file.keeps_histograms = true;
            } else if (w[0] == "hist" && w.size() >= 3 && have_buckets) {
                const auto reason = reason_code(w[1]);
                if (!file.histograms.emplace(reason, histogram(w)).second)
                    fail(fmt::format("the histogram of reason {:#x} appears twice", reason));
            } else if (w[0] == "vcpu" && w.size() == 4) {
                file.vcpu_counts.push_back({number<unsigned>(w[1], 10), counts(w[2], w[3]), {}});
            } else if (w[0] == "vcpu_reason" && w.size() == 5) {
                if (file.vcpu_counts.empty() || file.vcpu_counts.back().id != number<unsigned>(w[1], 10))
                    fail("a \"vcpu_reason\" line that does not follow its \"vcpu\" line");
                file.vcpu_counts.back().reasons[reason_code(w[2])] = counts(w[3], w[4]);
            } else if (w[0] == "statistics" || w[0] == "numbering" || w[0] == "tsc_khz" ||
                       w[0] == "vcpus" || w[0] == "total" || w[0] == "reason" || w[0] == "buckets" ||
                       w[0] == "hist" || w[0] == "vcpu" || w[0] == "vcpu_reason") {
                fail(fmt::format("bad \"{}\" line", w[0]));
            }
            // Other keys are additions of a later kernel in the same version.
        }
        if (line_number_ == 0)
            fail("the file is empty");
        if (file.statistics_on && !have_total)
            fail("no \"total\" line");
        const Counts sum = sum_of(file.reasons);
        if (file.statistics_on && sum != file.total)
            fail(fmt::format("the reasons add up to {} exits and {} cycles, the total says {} and {}",
                             sum.exits, sum.cycles, file.total.exits, file.total.cycles));
        for (const auto& [reason, histogram] : file.histograms) {
            const auto counted = file.reasons.find(reason);
            if (counted == file.reasons.end() || counted->second.exits != histogram.exits())
                fail(fmt::format("the histogram of reason {:#x} holds {} exits, its reason line {}", reason,
                                 histogram.exits(), counted == file.reasons.end() ? 0 : counted->second.exits));
        }
        return file;
    }

private:
    bool next_line(std::string_view& line)
    {
        if (pos_ >= text_.size())
            return false;
        const std::size_t end = text_.find('\n', pos_);
        if (end == std::string_view::npos)
            fail("the last line is not complete");
        line = text_.substr(pos_, end - pos_);
        pos_ = end + 1;
        ++line_number_;
        return true;
    }

    template <typename Number>
    Number number(std::string_view word, int base)
    {
        Number value{};
        const auto [end, error] = std::from_chars(word.data(), word.data() + word.size(), value, base);
        if (error != std::errc() || end != word.data() + word.size() || word.empty())
            fail(fmt::format("\"{}\" is not a number", word));
        return value;
    }

    std::uint32_t reason_code(std::string_view word)
    {
        if (word.substr(0, 2) != "0x")
            fail("a reason code is written 0xHEX");
        return number<std::uint32_t>(word.substr(2), 16);
    }

    // hist 0xR MAX B:N ...: the buckets that hold exits, ascending.
    Histogram histogram(const std::vector<std::string_view>& w)
    {
        Histogram h;
        h.max = number<std::uint64_t>(w[2], 10);
        int previous = -1;
        for (std::size_t i = 3; i < w.size(); ++i) {
            const std::size_t colon = w[i].find(':');
            if (colon == std::string_view::npos)
                fail(fmt::format("\"{}\" is not BUCKET:EXITS", w[i]));
            const auto bucket = number<unsigned>(w[i].substr(0, colon), 10);
            if (bucket >= Histogram::buckets || static_cast<int>(bucket) <= previous)
                fail(fmt::format("bucket {} is out of range or order", bucket));
            h.count[bucket] = number<std::uint64_t>(w[i].substr(colon + 1), 10);
            previous = static_cast<int>(bucket);
        }
        if (previous >= 0 && !max_in_highest_bucket(h))
            fail(fmt::format("the maximum {} is not in the highest bucket, {}", h.max, previous));
        return h;
    }

    Counts counts(std::string_view exits, std::string_view cycles)
    {
        return {number<std::uint64_t>(exits, 10), number<std::uint64_t>(cycles, 10)};
    }

    [[noreturn]] void fail(const std::string& why)
    {
        throw MalformedVmFile(fmt::format("line {}: {}", line_number_, why));
    }

    std::string_view text_;
    std::size_t pos_ = 0;
    unsigned line_number_ = 0;
};

}  // namespace

VmFile parse_vm_file(std::string_view text)
{
    return Parser(text).parse();
}

Report make_report(const VmFile& file)
{
    Snapshot snapshot;
    snapshot.info.version = file.version;
    snapshot.info.numbering = file.numbering;
    snapshot.info.tsc_khz = file.tsc_khz;
    snapshot.total = file.total;
    snapshot.reasons = file.reasons;
    snapshot.histograms = file.histograms;
    Report report = make_report(snapshot);
    report.latency_unsupported = !file.keeps_histograms;
    return report;
}

}  // namespace kvm_exitstats

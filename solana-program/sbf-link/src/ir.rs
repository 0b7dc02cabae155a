//! Textual LLVM IR rewrite: route the memory intrinsics to Solana syscalls.
//!
//! Upstream LLVM's BPF backend lowers `llvm.memcpy`/`memmove`/`memset` inline
//! when the length is a small constant and otherwise refuses them (BPF has no
//! libcall convention it could fall back to). Solana programs get these
//! routines as syscalls instead (`sol_memcpy_`, `sol_memmove_`,
//! `sol_memset_`), so every intrinsic call is redirected to the syscall before
//! `llc` sees the module. This is a port of the prototype's `irfix.py`.

/// One intrinsic → syscall mapping.
struct Route {
    /// The intrinsic's mangled name, without the leading `@`.
    intrinsic: &'static str,
    /// The syscall that replaces it.
    syscall: &'static str,
    /// Declaration appended when the module does not declare the syscall yet.
    /// The signatures match the intrinsics minus their trailing `i1 isvolatile`
    /// operand (and the `extern "C"` declarations in solana-define-syscall).
    declaration: &'static str,
}

const ROUTES: [Route; 3] = [
    Route {
        intrinsic: "llvm.memcpy.p0.p0.i64",
        syscall: "sol_memcpy_",
        declaration: "declare void @sol_memcpy_(ptr, ptr, i64)",
    },
    Route {
        intrinsic: "llvm.memmove.p0.p0.i64",
        syscall: "sol_memmove_",
        declaration: "declare void @sol_memmove_(ptr, ptr, i64)",
    },
    Route {
        intrinsic: "llvm.memset.p0.i64",
        syscall: "sol_memset_",
        declaration: "declare void @sol_memset_(ptr, i8, i64)",
    },
];

/// Rewrites every call to `llvm.memcpy.p0.p0.i64`, `llvm.memmove.p0.p0.i64`
/// and `llvm.memset.p0.i64` into a call to the matching Solana syscall,
/// dropping the intrinsic's trailing `i1` volatile flag, and appends the
/// syscall declarations the module does not already have.
///
/// `tail`/`notail` markers, parameter attributes, call-site attribute groups
/// and `!dbg` attachments are kept as they are. Returns the rewritten module
/// and the number of calls rewritten.
pub fn route_mem_intrinsics(ir: &str) -> (String, usize) {
    let mut out = String::with_capacity(ir.len() + 160);
    let mut rewritten = 0;
    // LLVM IR has one instruction per line, so a line holds at most one call.
    for line in ir.split_inclusive('\n') {
        match rewrite_call(line) {
            Some(new_line) => {
                out.push_str(&new_line);
                rewritten += 1;
            }
            None => out.push_str(line),
        }
    }
    append_missing_declarations(&mut out);
    (out, rewritten)
}

/// Rewrites `line` if it is a call to one of the routed intrinsics.
fn rewrite_call(line: &str) -> Option<String> {
    ROUTES.iter().find_map(|route| rewrite_call_to(line, route))
}

fn rewrite_call_to(line: &str, route: &Route) -> Option<String> {
    let callee = format!("@{}(", route.intrinsic);
    let at = line.find(&callee)?;
    // Only call sites: `declare void @llvm.memcpy...(` has the same callee text.
    // `tail call void` and `notail call void` end the same way.
    if !line[..at].trim_end().ends_with("call void") {
        return None;
    }
    let args_start = at + callee.len();
    let args_end = args_start + matching_paren(&line[args_start..])?;
    let args = &line[args_start..args_end];
    let (kept, last) = split_last_argument(args)?;
    if !is_volatile_flag(last) {
        return None;
    }
    // `args_end` is the closing parenthesis, re-added after the kept arguments.
    Some(format!(
        "{}@{}({}){}",
        &line[..at],
        route.syscall,
        kept,
        &line[args_end + 1..]
    ))
}

/// Byte index of the `)` closing an argument list that starts right after
/// its `(`. Arguments may contain parentheses of their own (constant
/// expressions such as `getelementptr inbounds (i8, ptr @x, i64 8)`).
fn matching_paren(after_open: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in after_open.char_indices() {
        match c {
            '(' | '[' | '{' | '<' => depth += 1,
            ')' if depth == 0 => return Some(i),
            ')' | ']' | '}' | '>' => depth = depth.checked_sub(1)?,
            _ => {}
        }
    }
    None
}

/// Splits an argument list at its last top-level comma.
fn split_last_argument(args: &str) -> Option<(&str, &str)> {
    let mut depth = 0usize;
    let mut last_comma = None;
    for (i, c) in args.char_indices() {
        match c {
            '(' | '[' | '{' | '<' => depth += 1,
            ')' | ']' | '}' | '>' => depth = depth.checked_sub(1)?,
            ',' if depth == 0 => last_comma = Some(i),
            _ => {}
        }
    }
    let comma = last_comma?;
    Some((&args[..comma], &args[comma + 1..]))
}

/// The intrinsics' last operand: `i1 false` or `i1 true` (possibly with
/// parameter attributes in between, e.g. `i1 noundef false`).
fn is_volatile_flag(arg: &str) -> bool {
    let arg = arg.trim();
    arg.starts_with("i1 ") && (arg.ends_with(" false") || arg.ends_with(" true"))
}

/// Appends a declaration for each routed syscall the module neither declares
/// nor defines. A second `declare` of the same function would make
/// `llvm-as` fail ("invalid redefinition"), which happens when the program
/// itself calls `sol_memcpy_` through solana-define-syscall.
fn append_missing_declarations(module: &mut String) {
    let missing: Vec<&Route> = ROUTES
        .iter()
        .filter(|route| !declares(module, route.syscall))
        .collect();
    if missing.is_empty() {
        return;
    }
    if !module.is_empty() && !module.ends_with('\n') {
        module.push('\n');
    }
    module.push('\n');
    for route in missing {
        module.push_str(route.declaration);
        module.push('\n');
    }
}

/// Whether `module` has a `declare` or `define` line for `@name`.
fn declares(module: &str, name: &str) -> bool {
    let needle = format!("@{name}(");
    module.lines().any(|line| {
        let line = line.trim_start();
        (line.starts_with("declare ") || line.starts_with("define ")) && line.contains(&needle)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count_declarations(module: &str, name: &str) -> usize {
        let needle = format!("declare void @{name}(");
        module.lines().filter(|l| l.starts_with(&needle)).count()
    }

    #[test]
    fn rewrites_memcpy_and_drops_volatile_flag() {
        let ir = "define void @f(ptr %d, ptr %s, i64 %n) {\n  call void @llvm.memcpy.p0.p0.i64(ptr align 8 %d, ptr align 1 %s, i64 %n, i1 false)\n  ret void\n}\n";
        let (out, n) = route_mem_intrinsics(ir);
        assert_eq!(n, 1);
        assert!(out.contains("  call void @sol_memcpy_(ptr align 8 %d, ptr align 1 %s, i64 %n)\n"));
        assert!(!out.contains("@llvm.memcpy"));
    }

    #[test]
    fn rewrites_memmove_and_memset_with_tail_markers_and_attributes() {
        let ir = "  tail call void @llvm.memmove.p0.p0.i64(ptr noundef nonnull align 8 %a, ptr noundef nonnull align 8 %b, i64 32, i1 false) #4, !dbg !17\n  notail call void @llvm.memset.p0.i64(ptr align 8 %c, i8 0, i64 %n, i1 true)\n";
        let (out, n) = route_mem_intrinsics(ir);
        assert_eq!(n, 2);
        assert!(out.contains("  tail call void @sol_memmove_(ptr noundef nonnull align 8 %a, ptr noundef nonnull align 8 %b, i64 32) #4, !dbg !17\n"));
        assert!(out.contains("  notail call void @sol_memset_(ptr align 8 %c, i8 0, i64 %n)\n"));
    }

    #[test]
    fn keeps_parenthesised_constant_expressions_in_arguments() {
        let ir = "  call void @llvm.memcpy.p0.p0.i64(ptr %d, ptr getelementptr inbounds (i8, ptr @table, i64 8), i64 16, i1 false)\n";
        let (out, n) = route_mem_intrinsics(ir);
        assert_eq!(n, 1);
        assert!(out.contains(
            "call void @sol_memcpy_(ptr %d, ptr getelementptr inbounds (i8, ptr @table, i64 8), i64 16)\n"
        ));
    }

    #[test]
    fn keeps_range_attributes_and_metadata_as_rustc_emits_them() {
        // Verbatim from a rustc 1.96 `alloc` build (fat LTO bitcode).
        let ir = "  tail call void @llvm.memcpy.p0.p0.i64(ptr noundef nonnull align 8 dereferenceable(1) %37, ptr noundef nonnull readonly align 1 dereferenceable(1) %2, i64 range(i64 56, 0) %24, i1 false), !noalias !12\n";
        let (out, n) = route_mem_intrinsics(ir);
        assert_eq!(n, 1);
        assert!(out.starts_with("  tail call void @sol_memcpy_(ptr noundef nonnull align 8 dereferenceable(1) %37, ptr noundef nonnull readonly align 1 dereferenceable(1) %2, i64 range(i64 56, 0) %24), !noalias !12\n"));
    }

    #[test]
    fn leaves_intrinsic_declarations_and_other_calls_alone() {
        let ir = "declare void @llvm.memcpy.p0.p0.i64(ptr noalias writeonly captures(none), ptr noalias readonly captures(none), i64, i1 immarg) #3\n  call void @llvm.lifetime.start.p0(ptr %x)\n  call void @llvm.memcpy.inline.p0.p0.i64(ptr %d, ptr %s, i64 8, i1 false)\n";
        let (out, n) = route_mem_intrinsics(ir);
        assert_eq!(n, 0);
        assert!(out.starts_with(ir));
    }

    #[test]
    fn appends_all_three_declarations_once() {
        let (out, _) = route_mem_intrinsics("define void @f() {\n  ret void\n}");
        for name in ["sol_memcpy_", "sol_memmove_", "sol_memset_"] {
            assert_eq!(count_declarations(&out, name), 1, "{name} in\n{out}");
        }
        assert!(out.contains("}\n\ndeclare void @sol_memcpy_(ptr, ptr, i64)\n"));
        assert!(out.contains("declare void @sol_memset_(ptr, i8, i64)\n"));
    }

    #[test]
    fn does_not_redeclare_existing_syscalls() {
        let ir = "declare void @sol_memcpy_(ptr noundef, ptr noundef, i64 noundef) unnamed_addr #1\n  call void @llvm.memcpy.p0.p0.i64(ptr %d, ptr %s, i64 %n, i1 false)\n";
        let (out, n) = route_mem_intrinsics(ir);
        assert_eq!(n, 1);
        assert_eq!(count_declarations(&out, "sol_memcpy_"), 1);
        assert_eq!(count_declarations(&out, "sol_memmove_"), 1);
        assert_eq!(count_declarations(&out, "sol_memset_"), 1);
    }

    #[test]
    fn second_run_is_a_no_op() {
        let ir = "  call void @llvm.memset.p0.i64(ptr %c, i8 7, i64 %n, i1 false)\n";
        let (once, n1) = route_mem_intrinsics(ir);
        let (twice, n2) = route_mem_intrinsics(&once);
        assert_eq!((n1, n2), (1, 0));
        assert_eq!(once, twice);
    }

    #[test]
    fn call_without_volatile_flag_is_left_unchanged() {
        // Not the intrinsic's shape: better to let llc complain than guess.
        let ir = "  call void @llvm.memset.p0.i64(ptr %c, i8 7, i64 %n)\n";
        let (out, n) = route_mem_intrinsics(ir);
        assert_eq!(n, 0);
        assert!(out.starts_with(ir));
    }
}

